import LogoutHTTP
import Testing

/// IN-1: the logout endpoint takes `application/x-www-form-urlencoded` only, whatever its case,
/// parameters or surrounding white space.
@Suite struct FormMediaTypeTests {
    @Test(arguments: [
        ("application/x-www-form-urlencoded", true),
        ("Application/X-WWW-Form-URLEncoded; charset=utf-8", true),
        (" application/x-www-form-urlencoded ;charset=utf-8", true),
        ("\tapplication/x-www-form-urlencoded", true),
        ("application/json", false),
        ("application/x-www-form-urlencodedx", false),
        ("application/x-www-form-urlencode", false),
        ("multipart/form-data; boundary=x", false),
        ("", false),
        ("application/x-www-form-urlencoded\u{A0}", false),
    ])
    func acceptsTheFormMediaTypeOnly(contentType: String, accepted: Bool) {
        #expect(PublicRoutes.isFormEncoded(contentType) == accepted)
    }
}
