import Foundation

/// Where an admin command (`logoutd rps list`, …) finds the daemon's config and admin token when
/// the command line does not say.
///
/// The README's tour runs the CLI from the repository, beside the daemon's `data/admin-token`; an
/// installed system (the Debian package) has its config at `/etc/logoutd/logoutd.yaml`, whose
/// relative default `data/admin-token` would be `/etc/logoutd/data/admin-token`, a file nobody
/// creates. Both must work as root with no option.
public enum AdminCommandLocation {
    /// The config the Debian package installs (contract C9).
    public static let installedConfig = "/etc/logoutd/logoutd.yaml"

    /// `--config` when given. Otherwise the installed config when it exists and the working
    /// folder is not a development one (no `data/admin-token` there); otherwise none: the
    /// defaults and `LOGOUTD_*` variables apply, as for the daemon.
    public static func config(
        explicit: String?,
        workingDirectory: String,
        fileExists: (String) -> Bool = { FileManager.default.fileExists(atPath: $0) }
    ) -> String? {
        if let explicit { return explicit }
        if fileExists(workingDirectory + "/data/admin-token") { return nil }
        return fileExists(installedConfig) ? installedConfig : nil
    }

    /// The admin token files to try, in order: the config's `admin.token_file` (its default when
    /// the config names none), then, with a config file, `admin-token` beside it: where the unit's
    /// documented `LoadCredential=admin-token:/etc/logoutd/admin-token` takes the daemon's token
    /// from when the config names no file (the daemon reads it from `$CREDENTIALS_DIRECTORY`,
    /// which the CLI does not have).
    public static func tokenFiles(configuration: LogoutdConfiguration, configPath: String?) -> [String] {
        var files = [configuration.adminTokenFile]
        if let configPath {
            let folder = URL(fileURLWithPath: configPath).deletingLastPathComponent().standardizedFileURL.path
            let beside = LogoutdConfiguration.absolute("admin-token", base: folder)
            if beside != configuration.adminTokenFile { files.append(beside) }
        }
        return files
    }
}
