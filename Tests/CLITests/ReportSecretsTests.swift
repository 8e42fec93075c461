import Foundation
import Testing

/// The HTML report's environment section masks values that look like credentials, as triage does.
@Suite struct ReportSecretsTests {
    @Test func credentialsAreMaskedUnlessAsked() throws {
        // notes/forensic.txt: the shell's environment holds this fake key.
        let secret = "DEVFAKEAWSSECRETa1b2c3d4e5f6g7h8i9j0KLMN"
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("secrets-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let masked = dir.appendingPathComponent("masked.html").path, shown = dir.appendingPathComponent("shown.html").path
        #expect(try CLI.run(["report", CLI.fixture("raw/forensic"), "-o", masked, "-q"]).status == 0)
        #expect(try CLI.run(["report", CLI.fixture("raw/forensic"), "-o", shown, "-q", "--show-secrets"]).status == 0)
        let a = try String(contentsOfFile: masked, encoding: .utf8), b = try String(contentsOfFile: shown, encoding: .utf8)
        #expect(!a.contains(secret))
        #expect(a.contains("AWS_SECRET_ACCESS_KEY=(masked, 40 characters)"))
        #expect(b.contains("AWS_SECRET_ACCESS_KEY=" + secret))
        #expect(a.contains("LD_PRELOAD=/tmp/newfx/libfake.so"))  // not a credential: shown
    }
}
