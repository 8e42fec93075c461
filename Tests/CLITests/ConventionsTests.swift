import Foundation
import Testing

/// Issue 18: usage errors, option values, shared options, truncation and counts, as a user meets them.
@Suite struct ConventionsTests {
    static let marker = CLI.fixture("raw/marker-static")
    static let tree = CLI.fixture("raw/proc-tree")
    static let fds = CLI.fixture("raw/fds-sockets")
    static let podman = CLI.fixture("podman/ck-basic.none.tar")

    /// Runs a command that must fail as a usage error: one line on stderr, exit 2, nothing on stdout.
    @discardableResult
    static func usage(_ arguments: [String], _ expected: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        let r = try CLI.run(arguments)
        let shown = arguments.joined(separator: " ")
        #expect(r.status == 2, "\(shown): exit \(r.status)", sourceLocation: sourceLocation)
        #expect(r.stdout.isEmpty, "\(shown): stdout \(r.stdout)", sourceLocation: sourceLocation)
        #expect(r.stderr == "ckpt-inspect: " + expected + "\n", "\(shown)", sourceLocation: sourceLocation)
        #expect(r.stderr.split(separator: "\n").count == 1, "\(shown): \(r.stderr)", sourceLocation: sourceLocation)
        return r.stderr
    }

    @Test("the issue's usage errors: one line naming the option and the value, exit 2")
    func issueCases() throws {
        let m = Self.marker
        try Self.usage(["maps", m, "--range", "zz"], "--range zz: not START-END in hex (e.g. 7f8c00711000-7f8c00713000)")
        try Self.usage(["maps", m, "--range", "2000-1000"], "--range 2000-1000: START must be below END")
        try Self.usage(["mem", "read", m, "--pid", "28716", "--address", "zz"],
                       "--address zz: not an address (hex digits, e.g. 7f8c00711000 or 0x7f8c00711000)")
        try Self.usage(["mem", "read", m, "--pid", "28716", "--address", "0", "--length", "-1"],
                       "--length -1: not a byte count (a number ≥ 0, decimal or hex with 0x)")
        try Self.usage(["search", m, "X", "--context", "-5"], "--context -5: out of range (0...4096)")
        try Self.usage(["search", m, "X", "--max-hits", "0"], "--max-hits 0: out of range (1...\(Int.max))")
        try Self.usage(["maps", m, "--format", "xml"], "--format xml: not one of: text, json")
        try Self.usage(["inspect", m, "--color", "sometimes"], "--color sometimes: not one of: auto, always, never")
        try Self.usage(["list", "--depth", "-1"], "--depth -1: out of range (0...64)")
        try Self.usage(["maps", m, "--pid", "abc"], "--pid abc: not a process id (a decimal number)")
        try Self.usage(["ps", m, "--pid", "1"], "--pid 1: no such process in \(m) (pids: 28716)")
        try Self.usage(["mem", "dump", m, "--pid", "1", "-o", "/nonexistent/x"], "--pid 1: no such process in \(m) (pids: 28716)")
        // A file named that does not exist: a usage error in every command.
        let missing = "/nonexistent/checkpoint.tar"
        for command in [["ps"], ["files"], ["maps"], ["inspect"], ["search", missing, "x"], ["mem", "read", missing, "--pid", "1", "--address", "0"],
                        ["report", missing, "-o", "/tmp/conventions-never.html"], ["verify"], ["logs"], ["info"]] {
            let arguments = command.contains(missing) ? command : command + [missing]
            try Self.usage(arguments, "\(missing): no such file" + (["info"].contains(command[0]) ? "" : " or directory"))
        }
        try Self.usage(["inspect", m, "--previous", missing], "--previous \(missing): no such file or directory")
        try Self.usage(["list", "/nonexistent"], "/nonexistent: no such directory")
    }

    @Test("README's usage-error examples are what the tool prints")
    func readmeExamples() throws {
        let readme = try String(contentsOf: CLI.projectRoot.appendingPathComponent("README.md"), encoding: .utf8)
        let start = try #require(readme.range(of: "A usage error is one line naming the option and the value"))
        let block = try #require(readme[start.upperBound...].components(separatedBy: "```text\n").dropFirst().first?.components(separatedBy: "```").first)
        let lines = block.split(separator: "\n").map(String.init)
        #expect(lines.count == 8)
        for (command, expected) in zip(stride(from: 0, to: lines.count, by: 2).map { lines[$0] }, stride(from: 1, to: lines.count, by: 2).map { lines[$0] }) {
            let words = command.split(separator: " ").map(String.init)
            #expect(words.prefix(2) == ["$", "ckpt-inspect"], "\(command)")
            let arguments = words.dropFirst(2).map { $0.hasPrefix("Fixtures/") ? CLI.fixture(String($0.dropFirst(9))) : $0 }
            try Self.usage(arguments, String(expected.dropFirst("ckpt-inspect: ".count)))
        }
    }

    @Test("the parser's own errors follow the same convention")
    func parserErrors() throws {
        let m = Self.marker
        // The commands of `ckpt-inspect --help`, in its order.
        var names: [String] = []
        for command in try TerminalMannersTests.subcommands() where !names.contains(command[0]) { names.append(command[0]) }
        let commands = names.joined(separator: ", ")
        #expect(commands.hasPrefix("list, show, inspect, ps, files, sockets, mounts, maps, mem, search, decode"))
        try Self.usage(["bogus"], "bogus: unknown command; one of: \(commands)")
        try Self.usage(["maps"], "maps: missing argument <path>")
        try Self.usage(["mem", "read", m, "--address", "0"], "mem read: missing argument --pid <pid>")
        try Self.usage(["maps", m, "--frmat", "json"], "--frmat: unknown option; did you mean --format?")
        try Self.usage(["maps", m, "--range"], "--range: needs a value")
        try Self.usage(["show", "--bytes=3", m], "--bytes: takes no value")
        try Self.usage(["ps", m, "a", "b"], "a, b: unexpected arguments to ps")
        try Self.usage(["search", m], "search: missing argument <pattern>")
    }

    @Test("--help and --version are unchanged: multi-line, on stdout, exit 0")
    func helpUnchanged() throws {
        for arguments in [["--help"], ["maps", "--help"], ["help", "maps"], ["mem", "read", "--help"], ["mem"], []] {
            let r = try CLI.run(arguments)
            #expect(r.status == 0, "\(arguments)")
            #expect(r.stdout.hasPrefix("OVERVIEW: "), "\(arguments): \(r.stdout.prefix(80))")
            #expect(r.stdout.contains("USAGE: ckpt-inspect"), "\(arguments)")
            #expect(r.stderr.isEmpty, "\(arguments): \(r.stderr)")
        }
        let version = try CLI.run(["--version"])
        #expect(version.status == 0 && version.stdout.hasPrefix("ckpt-inspect 0.1.0\n"))
    }

    @Test("values that mean nothing are refused; lists come from one place, in help and in errors")
    func optionValues() throws {
        let m = Self.marker
        try Self.usage(["maps", m, "--prot", "z"], "--prot z: use the letters r, w and x (e.g. rw, x)")
        // --kind offers the kinds a VMA listed by maps can have, in help and in the error alike.
        let kinds = "heap, stack, vdso, vvar, vsyscall, file, anon, shmem, memfd, sysvipc, aio, socket, other, pre-dump"
        try Self.usage(["maps", m, "--kind", "guard"], "--kind guard: not one of: \(kinds)")
        let help = try CLI.run(["maps", "--help"]).stdout.replacingOccurrences(of: "\n", with: " ")
            .split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
        #expect(help.contains("(values: \(kinds))"), "\(help)")
        #expect(help.contains("--format <format> Output format. (values: text, json; default: text)"))
        // The error for diff --only lists the same sections as its help.
        let sections = "container, processes, vmas, memory, fds, sockets, mounts, cgroups, files, stats"
        try Self.usage(["diff", m, m, "--only", "foo"], "--only foo: unknown section 'foo'; one of: \(sections)")
        let diffHelp = try CLI.run(["diff", "--help"]).stdout.replacingOccurrences(of: "\n", with: " ")
            .split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
        #expect(diffHelp.contains("comma-separated: \(sections)."), "\(diffHelp)")
        // info has no --dir: it says what to do instead.
        let info = try CLI.run(["info", m])
        #expect(info.status == 2)
        #expect(info.stderr == "ckpt-inspect: \(m): is a directory (info reads one image file; `decode --dir DIR` decodes every image of a directory)\n")
        // Options that need another are refused, not ignored.
        try Self.usage(["diff", m, m, "-o", "/tmp/conventions-never.html"], "--output /tmp/conventions-never.html: only with --html (the text and JSON reports go to stdout)")
        #expect(!FileManager.default.fileExists(atPath: "/tmp/conventions-never.html"))
        try Self.usage(["diff", m, m, "--max-bytes", "10"], "--max-bytes 10: only with --hexdump")
        try Self.usage(["mem", "read", m, "--pid", "28716", "--address", "0", "--force"], "--force: only with --output FILE")
        try Self.usage(["mem", "dump", m, "--pid", "28716", "--vma", "1", "--range", "1-2", "-o", "/tmp/conventions-never"],
                       "--vma and --range: give one of them")
        try Self.usage(["search", "--hex", "--regex", m, "ab"], "--hex and --regex: give one of --hex, --utf16, --regex")
        try Self.usage(["decode"], "decode: give an image PATH or --dir DIR")
    }

    @Test("--color always colours every command that offers it; never and piped auto do not")
    func colour() throws {
        let escape = "\u{1B}["
        let runs: [[String]] = [
            ["maps", Self.marker], ["ps", Self.tree], ["files", Self.fds], ["sockets", Self.fds], ["mounts", Self.podman],
            ["show", Self.marker], ["inspect", Self.marker], ["search", Self.marker, "CKPT"], ["verify", Self.marker],
            ["logs", Self.marker], ["diff", Self.marker, Self.tree], ["list", CLI.fixture("podman")],
            ["info", CLI.fixture("raw/marker-static/core-28716.img")], ["host"],
        ]
        for arguments in runs {
            let always = try CLI.run(arguments + ["--color", "always"])
            #expect(always.stdout.contains(escape), "\(arguments.joined(separator: " ")) --color always: no colour")
            for mode in ["never", "auto"] {
                #expect(!(try CLI.run(arguments + ["--color", mode])).stdout.contains(escape), "\(arguments) --color \(mode)")
            }
            // JSON is never coloured.
            #expect(!(try CLI.run(arguments + ["--color", "always", "--format", "json"])).stdout.contains(escape), "\(arguments) json")
        }
    }

    @Test("--pid, --previous, --format, --color, --bytes: one option each, on every command that can honour it")
    func sharedOptions() throws {
        func help(_ command: [String]) throws -> String { try CLI.run(command + ["--help"]).stdout }
        let perProcess = [["ps"], ["files"], ["sockets"], ["mounts"], ["maps"], ["inspect"], ["search"]]
        for command in perProcess {
            #expect(try help(command).contains("--pid <pid>             Only this process; repeatable."), "\(command)")
        }
        for command in perProcess + [["mem", "read"], ["mem", "dump"], ["verify"], ["report"]] {
            #expect(try help(command).contains("--previous <previous>   A separate archive or directory with the parent"), "\(command)")
        }
        for command in perProcess + [["show"], ["list"], ["verify"], ["logs"], ["diff"], ["info"], ["host"]] {
            let text = try help(command)
            #expect(text.contains("--format <format>       Output format. (values: text, json; default: text)"), "\(command)")
            #expect(text.contains("--color <color>         Colour: auto"), "\(command)")
        }
        for command in [["show"], ["list"], ["inspect"], ["maps"], ["mem", "dump"]] {
            #expect(try help(command).contains("--bytes                 Print sizes in bytes instead of human units."), "\(command)")
        }
        // --pid selects on every one of them (fds-sockets has one process; proc-tree five).
        let ps = try CLI.run(["ps", Self.tree, "--pid", "28762", "--pid", "28767"])
        #expect(ps.stdout.split(separator: "\n").count == 3, "\(ps.stdout)")
        #expect(ps.stdout.split(separator: "\n").dropFirst().map { $0.prefix(5) } == ["28762", "28767"], "\(ps.stdout)")
        let files = try CLI.run(["files", Self.tree, "--pid", "28767", "--format", "json"])
        let list = try #require(try JSON.parse(files.stdout)["files"])
        guard case .array(let items) = list else { Issue.record("files is not an array"); return }
        #expect(!items.isEmpty && items.allSatisfy { $0["pid"] == .integer(28767) })
        let mounts = try CLI.run(["mounts", Self.podman, "--pid", "1", "--format", "json"])
        #expect(mounts.status == 0, "\(mounts.stderr)")
        try Self.usage(["mounts", Self.podman, "--pid", "2"], "--pid 2: no such process in \(Self.podman) (pids: 1, 7, 8, 9)")
    }

    @Test("search --max-hits says how many more there are, in text and JSON")
    func truncation() throws {
        // marker-static: CKPT occurs 8 times in its dumped memory (4 markers, argv, the binary's strings).
        let all = try CLI.run(["search", Self.marker, "CKPT"])
        let count = all.stdout.split(separator: "\n").count
        #expect(count == 8, "\(all.stdout)")
        #expect(!all.stdout.contains("not shown"))
        let cut = try CLI.run(["search", Self.marker, "CKPT", "--max-hits", "3"])
        let lines = cut.stdout.split(separator: "\n")
        #expect(lines.count == 4)
        #expect(lines.last == "5 more not shown (8 hits in all; --max-hits 3)")
        let json = try JSON.parse(try CLI.run(["search", Self.marker, "CKPT", "--max-hits", "3", "--format", "json"]).stdout)
        #expect(json["truncated"] == .bool(true) && json["total"] == .integer(8) && json["max_hits"] == .integer(3))
        guard case .array(let hits)? = json["hits"] else { Issue.record("no hits"); return }
        #expect(hits.count == 3)
        let whole = try JSON.parse(try CLI.run(["search", Self.marker, "CKPT", "--format", "json"]).stdout)
        #expect(whole["truncated"] == .bool(false) && whole["total"] == .integer(8))
    }

    @Test("counts describe what is shown, with plurals right")
    func counts() throws {
        let one = try CLI.run(["inspect", Self.tree, "--pid", "28767"])
        #expect(one.stdout.contains("Process tree (1 process, 1 thread)"), "\(one.stdout)")
        let all = try CLI.run(["inspect", Self.tree])
        #expect(all.stdout.contains("Process tree (5 processes, 7 threads)"))
        // maps: a filter narrows the summary to the VMAs listed (heap: 1 of 12, 136 KiB, 19 pages dumped).
        let heap = try CLI.run(["maps", Self.marker, "--kind", "heap", "--summary", "--bytes"])
        #expect(heap.stdout.contains("28716  marker  1 of 12  139264 B  77824 B"), "\(heap.stdout)")
        let whole = try CLI.run(["maps", Self.marker, "--summary", "--bytes"])
        #expect(whole.stdout.contains("28716  marker    12  1040384 B  147456 B"), "\(whole.stdout)")
        let dump = FileManager.default.temporaryDirectory.appendingPathComponent("conventions-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dump) }
        let one_region = try CLI.run(["mem", "dump", Self.marker, "--pid", "28716", "--vma", "10000000", "-o", dump.path])
        #expect(one_region.stdout.hasPrefix("1 region of pid 28716 written to "), "\(one_region.stdout)")
    }

    @Test("JSON a program can use: typed fields from ground truth, snake_case keys, arrays for repeated things")
    func typedJSON() throws {
        // notes/fds-sockets.txt: fd 15 is the client side of 127.0.0.1:44724 -> 127.0.0.1:47001 with
        // 20 bytes unread; fd 20 an inotify with two watches; fd 22 epoll over three fds.
        let files = try JSON.parse(try CLI.run(["files", Self.fds, "--format", "json"]).stdout)
        guard case .array(let list)? = files["files"] else { Issue.record("no files"); return }
        func fd(_ n: Int64) -> JSON? { list.first { $0["fd"] == .integer(n) }?["details"] }
        let client = try #require(fd(15))
        #expect(client["local_address"] == .string("127.0.0.1") && client["local_port"] == .integer(44724))
        #expect(client["remote_address"] == .string("127.0.0.1") && client["remote_port"] == .integer(47001))
        #expect(client["recv_queue"] == .integer(20) && client["send_queue"] == .integer(0))
        #expect(client["local"] == nil && client["recv-queue"] == nil)
        guard case .array(let watches)? = fd(20)?["watches"] else { Issue.record("no watches array"); return }
        #expect(watches.count == 2 && watches.allSatisfy { if case .integer? = $0["inode"] { true } else { false } })
        guard case .array(let targets)? = fd(22)?["targets"] else { Issue.record("no targets array"); return }
        #expect(Set(targets.compactMap { if case .string(let d)? = $0["data"] { d } else { nil } }) == ["0x1111", "0x2222", "0x3333"])
        #expect(fd(1)?["pos"] == .integer(1193) && fd(1)?["size"] == .integer(1193))

        // Capabilities by name; resource limits typed; mounts with numbers and arrays.
        let inspect = try JSON.parse(try CLI.run(["inspect", Self.podman, "--format", "json"]).stdout)
        guard case .array(let processes)? = inspect["processes"], let first = processes.first else { Issue.record("no processes"); return }
        guard case .array(let threads)? = first["threads"], case .array(let effective)? = threads.first?["credentials"]?["cap_effective"] else {
            Issue.record("no capability names"); return
        }
        // 0xa80425fb: the 14 capabilities Podman gave the container.
        #expect(effective.count == 14 && effective.contains(.string("CAP_NET_RAW")) && !effective.contains(.string("CAP_SYS_ADMIN")))
        guard case .array(let limits)? = first["rlimits"] else { Issue.record("no rlimits"); return }
        #expect(limits.first { $0["resource"] == .string("nofile") }?["soft"] == .integer(4096))
        #expect(limits.first { $0["resource"] == .string("cpu") }?["soft"] == .string("unlimited"))
        let mounts = try JSON.parse(try CLI.run(["mounts", Self.podman, "--format", "json"]).stdout)
        guard case .array(let namespaces)? = mounts["namespaces"], case .array(let entries)? = namespaces.first?["mounts"],
              let root = entries.first(where: { $0["mountpoint"] == .string("/") }) else { Issue.record("no root mount"); return }
        if case .integer? = root["flags"] {} else { Issue.record("flags is not a number") }
        if case .array? = root["options"] {} else { Issue.record("options is not an array") }
        if case .integer? = root["device_minor"] {} else { Issue.record("device_minor is not a number") }

        // One key style in every document (data-valued maps such as annotations excepted).
        func keys(_ v: JSON, _ path: String, into bad: inout [String]) {
            switch v {
            case .object(let o):
                for (k, x) in o {
                    if k.range(of: "^[a-z][a-z0-9_]*$", options: .regularExpression) == nil, !path.hasSuffix("annotations"), !path.hasSuffix("unchanged") {
                        bad.append(path + "." + k)
                    }
                    keys(x, path + "." + k, into: &bad)
                }
            case .array(let a): for x in a { keys(x, path + "[]", into: &bad) }
            default: break
            }
        }
        for arguments in [["inspect", "--all", Self.fds], ["ps", Self.tree], ["maps", Self.marker], ["verify", Self.fds], ["logs", Self.fds],
                          ["diff", CLI.fixture("raw/diff-pair/gen1"), CLI.fixture("raw/diff-pair/gen2")], ["search", Self.marker, "CKPT"],
                          ["show", Self.podman], ["sockets", Self.fds], ["inspect", "--all", CLI.fixture("podman/ck-vol.none.tar")]] {
            var bad: [String] = []
            keys(try JSON.parse(try CLI.run(arguments + ["--format", "json"]).stdout), "$", into: &bad)
            #expect(bad.isEmpty, "\(arguments[0]): \(bad)")
        }
    }
}
