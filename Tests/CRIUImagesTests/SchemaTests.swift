import Foundation
import Testing
@testable import CRIUImages

@Suite struct SchemaTests {
    static let projectRoot = Fixtures.root.deletingLastPathComponent()

    /// The committed descriptor set must be what Scripts/generate-schema.sh makes from Schema/*.proto.
    @Test func committedDescriptorSetIsCurrent() throws {
        let protoc = ["/usr/bin/protoc", "/usr/local/bin/protoc"].first { FileManager.default.isExecutableFile(atPath: $0) }
        try #require(protoc != nil || ProcessInfo.processInfo.environment["CI"] == nil, "protoc is required in CI")
        guard protoc != nil else {
            print("protoc not installed: schema staleness not checked (apt-get install protobuf-compiler)")
            return
        }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/bash")
        p.arguments = [Self.projectRoot.appendingPathComponent("Scripts/generate-schema.sh").path, "--stdout"]
        let pipe = Pipe()
        p.standardOutput = pipe
        try p.run()
        let generated = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
        let committed = try Data(contentsOf: Self.projectRoot.appendingPathComponent("Sources/CRIUImages/Generated/SchemaDescriptorSet.swift"))
        #expect(generated == committed, "Schema/*.proto changed: run Scripts/generate-schema.sh and commit the result")
    }

    @Test func schemaHasEveryImageMessage() throws {
        let schema = Schema.criu
        for kind in ImageKind.all {
            #expect(schema.message(kind.message!) != nil, "\(kind.name): no message \(kind.message!)")
        }
        #expect(schema.messages.count >= 150)
        let vma = try #require(schema.message("vma_entry"))
        #expect(vma.field(1)?.name == "start")
        #expect(vma.field(1)?.options.hex == true)
        #expect(vma.field(5)?.options.flags == "mmap.prot")
        #expect(vma.field(8)?.type == .sint64)
        let pagemap = try #require(schema.message("pagemap_entry"))
        #expect(pagemap.field(2)?.name == "compat_nr_pages")
        #expect(pagemap.field(5)?.name == "nr_pages")
        #expect(pagemap.field(5)?.type == .uint64)
        #expect(schema.enums["core_entry.march"]?.name(of: 3) == "AARCH64")
        #expect(schema.enums["fd_types"]?.name(of: 20) == "PIDFD")
        #expect(schema.message("reg_file_entry")?.field(named: "mnt_id")?.defaultValue == "-1")
    }
}
