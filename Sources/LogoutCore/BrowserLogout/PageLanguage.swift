/// The language of the browser pages: French and English (FranceConnect+'s users are French).
public enum PageLanguage: String, Sendable, CaseIterable {
    case en
    case fr

    /// `ui_locales` (§2: space-separated BCP 47 tags, preferred first) decides when it names a
    /// language we have; otherwise `Accept-Language` by quality; otherwise English.
    public static func choose(uiLocales: String?, acceptLanguage: String?) -> PageLanguage {
        for tag in (uiLocales ?? "").split(separator: " ") {
            if let language = primary(tag) { return language }
        }
        var best: (PageLanguage, Double)?
        for entry in (acceptLanguage ?? "").split(separator: ",") {
            let parts = entry.split(separator: ";")
            guard let tag = parts.first, let language = primary(tag) else { continue }
            var quality = 1.0
            for parameter in parts.dropFirst() {
                let pair = parameter.trimmingPrefix(" ").split(separator: "=", maxSplits: 1)
                if pair.count == 2, pair[0] == "q", let value = Double(pair[1]) { quality = value }
            }
            if quality > 0, quality > (best?.1 ?? 0) { best = (language, quality) }
        }
        return best?.0 ?? .en
    }

    private static func primary(_ tag: Substring) -> PageLanguage? {
        let primary = tag.trimmingPrefix(" ").split(separator: "-").first.map { $0.lowercased() } ?? ""
        return PageLanguage(rawValue: primary)
    }
}
