import CheckpointAnalysis
import Foundation
import Testing

@Suite struct LogParserTests {
    static let podmanLogs = [
        "notes/podman-ck-basic.gzip.tar.gz.dump.log", "notes/podman-ck-basic.none.tar.dump.log",
        "notes/podman-ck-basic.zstd.tar.zst.dump.log", "notes/podman-ck-vol.none.tar.dump.log",
    ]
    static let rawLogs = [
        "raw/marker-static/dump.log", "raw/proc-tree/dump.log", "raw/fds-sockets/dump.log", "raw/diff-pair/gen1/dump.log",
        "raw/diff-pair/gen2/dump.log", "raw/incremental/dump/dump.log",
    ]

    @Test(arguments: podmanLogs + rawLogs)
    func successfulDumpLog(_ relative: String) throws {
        let log = CRIULog.parse(try VerifyFixture.text(relative), name: "dump.log")
        #expect(log.operation == .dump)
        #expect(log.outcome == .success)
        #expect(log.outcomeText == "Dumping finished successfully")
        #expect(log.format == .timestamped)
        #expect(log.criuVersion == "4.2")
        // The one error is the harmless RLIMIT_NOFILE line.
        #expect(log.errors.count == 1)
        let error = try #require(log.errors.first)
        #expect(error.location == "criu/util.c:1534")
        #expect(error.text == "rlimit: Can't setup RLIMIT_NOFILE for self: Operation not permitted")
        #expect(error.isHarmless)
        #expect(error.context.count == CRIULog.contextLines)
        #expect(log.significantErrors.isEmpty)
        #expect(log.explanations.isEmpty)
        // Every warning is harmless but the CRIU_FAKE_DIRTY_TRACK ones of raw/incremental, which are a caution.
        #expect(log.warnings.allSatisfy { $0.isHarmless || $0.text.hasPrefix("CRIU_FAKE_DIRTY_TRACK: ") })
        #expect(log.cautions.map(\.id) == (relative.hasPrefix("raw/incremental") ? ["fake-dirty-track"] : []))
    }

    @Test func podmanLogDetails() throws {
        let log = CRIULog.parse(try VerifyFixture.text("notes/podman-ck-basic.none.tar.dump.log"), name: "dump.log")
        #expect(log.outcomeLine == 1672)
        #expect(log.errors.first?.line == 68)
        #expect(log.errors.first?.timestamp == "00.069622")
        #expect(log.errors.first?.context.last == "(00.069600) ========================================")
        #expect(log.warnings.count == 1)
        #expect(log.warnings.first?.text == "Will restore 753 with interrupted system call")
        #expect(log.warnings.first?.location == "compel/arch/x86/src/lib/infect.c:418")
        #expect(log.cpu?.contains("AuthenticAMD") == true)
    }

    @Test func preDumpLog() throws {
        let log = CRIULog.parse(try VerifyFixture.text("raw/incremental/pre1/pre-dump.log"), name: "pre-dump.log")
        #expect(log.operation == .preDump)
        #expect(log.outcome == .success)
        #expect(log.significantErrors.isEmpty)
        // The fixture's CRIU ran with CRIU_FAKE_DIRTY_TRACK (Fixtures/README.md): a caution, not harmless.
        #expect(log.warnings.count == 1 && !log.warnings[0].isHarmless)
        #expect(log.cautions.map(\.id) == ["fake-dirty-track"] && log.cautions.first?.line == log.warnings[0].line)
        #expect(log.gitID == "0")
    }

    @Test func restoreFailure() throws {
        let log = CRIULog.parse(try VerifyFixture.text("logs/restore-failure.log"), name: "restore.log")
        #expect(log.operation == .restore)
        #expect(log.outcome == .failure)
        #expect(log.outcomeLine == 35)
        #expect(log.kernel == "6.18.44-fc-v782")
        #expect(log.machine == "x86_64")
        #expect(log.errors.map(\.line) == [5, 26, 29, 30, 31, 33, 34])
        // The RLIMIT line is not harmless when the restore failed.
        #expect(!log.errors[0].isHarmless)
        #expect(log.errors[0].explanation?.id == "rlimit-nofile")
        let fork = log.errors[1]
        #expect(fork.pid == 28759 && fork.location == "criu/cr-restore.c:1230" && fork.text == "Can't fork for 28763: File exists")
        #expect(fork.explanation?.id == "pid-in-use")
        #expect(fork.context.last == "(00.010505)  28759: Creating process using clone3()")
        #expect(log.errors[2].explanation?.id == "file-missing")
        #expect(log.errors[2].pid == 28762)
        #expect(log.errors[5].explanation?.id == "port-in-use")
        #expect(log.errors[5].text == "inet: Can't bind inet socket (id 20): Address already in use")
        #expect(log.explanations.map(\.id) == ["pid-in-use", "file-missing", "port-in-use"])
        // The kdat warning is known harmless.
        #expect(log.warnings.count == 1 && log.warnings[0].isHarmless)
    }

    @Test func olderFormat() throws {
        let log = CRIULog.parse(try VerifyFixture.text("logs/restore-failure-old.log"), name: "restore.log")
        #expect(log.format == .plain)
        #expect(log.operation == .restore)
        #expect(log.outcome == .failure)
        #expect(log.errors.count == 3)
        #expect(log.errors[0].pid == 1 && log.errors[0].location == "criu/mount.c:2404")
        #expect(log.errors[0].explanation?.id == "mount")
        #expect(log.errors[2].location == "cr-restore.c:1310" && log.errors[2].timestamp == nil)
        #expect(log.explanations.map(\.id) == ["mount"])
        #expect(log.warnings.first?.isHarmless == true)
    }

    @Test func dumpFailureAndUnknown() {
        let failed = CRIULog.parse("""
            (00.000100) Version: 3.19 (gitid 0)
            (00.120000) Error (criu/cr-dump.c:1645): Dumping FAILED.
            """, name: "dump.log")
        #expect(failed.outcome == .failure && failed.operation == .dump && failed.errors.isEmpty)
        let unknown = CRIULog.parse("hello\nworld\n", name: "notes.txt")
        #expect(unknown.outcome == .unknown && unknown.format == .unknown && unknown.messages.isEmpty && unknown.lineCount == 2)
    }

    @Test(arguments: [
        ("Can't fork for 1: File exists", "pid-in-use"),
        ("inet: Can't bind inet socket (id 3): Address already in use", "port-in-use"),
        ("mnt: Can't mount at ./tmp/x: No such file or directory", "mount"),
        ("cg: Can't move into /sys/fs/cgroup/foo: Permission denied", "cgroup"),
        ("seccomp: Can't restore filter (-22)", "seccomp"),
        ("Unable to turn on repair mode: Operation not permitted", "tcp-repair"),
        ("vdso: Unexpected rt vDSO area bounds", "vdso"),
        ("Can't open file tmp/foo on restore: No such file or directory", "file-missing"),
        ("File tmp/foo has bad size 10 (expect 20)", "file-changed"),
    ])
    func explanations(_ text: String, _ id: String) {
        #expect(LogKnowledge.explain(text)?.id == id)
    }
}
