import Foundation
import TestSupport
import Testing

@testable import LogoutService

/// Issue 20: the CLI run as root on an installed system finds the daemon's config and the token
/// the service created, and the README's tour from the repository keeps working.
@Suite struct AdminCommandLocationTests {
    @Test func anExplicitConfigAlwaysWins() {
        let path = AdminCommandLocation.config(explicit: "my.yaml", workingDirectory: "/src") { _ in true }
        #expect(path == "my.yaml")
    }

    @Test func withoutAConfigTheInstalledOneIsUsed() {
        let path = AdminCommandLocation.config(explicit: nil, workingDirectory: "/root") {
            $0 == "/etc/logoutd/logoutd.yaml"
        }
        #expect(path == "/etc/logoutd/logoutd.yaml")
    }

    @Test func aDevelopmentFolderKeepsTheDefaults() {
        let files: Set = ["/src/logoutd/data/admin-token", "/etc/logoutd/logoutd.yaml"]
        #expect(
            AdminCommandLocation.config(explicit: nil, workingDirectory: "/src/logoutd", fileExists: files.contains)
                == nil
        )
        #expect(AdminCommandLocation.config(explicit: nil, workingDirectory: "/tmp") { _ in false } == nil)
    }

    @Test func thePackagedConfigNamesTheTokenTheServiceCreates() async throws {
        let folder = TemporaryDirectory()
        let path = folder.path + "/logoutd.yaml"
        try """
        admin:
          listen: "unix:/run/logoutd/admin.sock"
          token_file: "/var/lib/logoutd/admin-token"
        """.write(toFile: path, atomically: true, encoding: .utf8)
        let configuration = try await LogoutdConfiguration.load(path: path, environment: [:])
        let files = AdminCommandLocation.tokenFiles(configuration: configuration, configPath: path)
        #expect(files == ["/var/lib/logoutd/admin-token", folder.path + "/admin-token"])
    }

    /// The bug the first install showed: with the token handed over by `LoadCredential=` and no
    /// `admin.token_file`, the CLI looked only for `/etc/logoutd/data/admin-token`.
    @Test func withoutATokenFileTheCredentialSourceBesideTheConfigIsTried() async throws {
        let folder = TemporaryDirectory()
        let path = folder.path + "/logoutd.yaml"
        try "issuer: \"https://logout.example.com\"\n".write(toFile: path, atomically: true, encoding: .utf8)
        let configuration = try await LogoutdConfiguration.load(path: path, environment: [:])
        let files = AdminCommandLocation.tokenFiles(configuration: configuration, configPath: path)
        #expect(files == [folder.path + "/data/admin-token", folder.path + "/admin-token"])
        #expect(AdminCommandLocation.tokenFiles(configuration: configuration, configPath: nil).count == 1)
    }
}
