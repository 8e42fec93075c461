import Foundation

/// The ground truth of notes/forensic.txt, read from the notes themselves: the process table, the
/// injected regions, the reverse shell's socket, and each task's `/proc` maps, fds and environment
/// as snapshotted just before the dump.
struct ForensicNotes {
    struct Mapping {
        var range: Range<UInt64>
        var permissions: String
        var path: String
    }

    struct Task {
        var pid: UInt32
        var comm: String
        var executable: String
        var maps: [Mapping] = []
        var fds: [UInt32: String] = [:]
        var environment: [String] = []
    }

    struct MarkerHit {
        var pid: UInt32
        var marker: String
        var address: UInt64
        var length: UInt64
    }

    var tasks: [UInt32: Task] = [:]
    /// `### (a)`: the pid and the RWX and r-x regions, in order, with the bytes each starts with.
    var injectedPid: UInt32 = 0
    var injected: [Range<UInt64>] = []
    var elfHeader: [UInt8] = []
    var nopCount = 0
    var memfdSize: UInt64 = 0
    var ghostSize: UInt64 = 0
    var shellSocket: (fileID: Int, inode: Int, local: String, localPort: UInt32, remote: String, remotePort: UInt32)?
    var hits: [MarkerHit] = []

    static func matches(_ pattern: String, _ text: String) -> [[String]] {
        let re = try! NSRegularExpression(pattern: pattern, options: [.anchorsMatchLines])
        return re.matches(in: text, range: NSRange(text.startIndex..., in: text)).map { m in
            (0..<m.numberOfRanges).map { i in Range(m.range(at: i), in: text).map { String(text[$0]) } ?? "" }
        }
    }

    init(_ text: String) {
        for m in Self.matches(#"^pid (\d+) comm='([^']*)' ppid=.*\n(?:.*\n)*?exe -> (.*)$"#, text) {
            let pid = UInt32(m[1])!
            tasks[pid] = Task(pid: pid, comm: m[2], executable: m[3])
        }
        // Per-task sections of the /proc snapshot.
        let sections = text.components(separatedBy: "==============================================================================\n")
        for section in sections {
            guard let head = Self.matches(#"^pid (\d+) comm="#, section).first, let pid = UInt32(head[1]) else { continue }
            for m in Self.matches(#"^([0-9a-f]+)-([0-9a-f]+) ([rwxps-]{4}) [0-9a-f]+ [0-9a-f:]+ \d+ *(.*)$"#, section) {
                tasks[pid]?.maps.append(Mapping(range: UInt64(m[1], radix: 16)!..<UInt64(m[2], radix: 16)!, permissions: m[3], path: m[4]))
            }
            for m in Self.matches(#"^l[-rwx]+ \d+ \w+ \w+ \d+ \w+ +\d+ [\d:]+ (\d+) -> (.*)$"#, section) {
                tasks[pid]?.fds[UInt32(m[1])!] = m[2]
            }
            if let env = section.range(of: "--- environ\n") {
                tasks[pid]?.environment = Array(section[env.upperBound...].split(separator: "\n").map(String.init).prefix { $0.contains("=") && !$0.hasPrefix("`") })
            }
        }
        if let a = Self.matches(#"^### \(a\) injected code regions \(pid (\d+)"#, text).first { injectedPid = UInt32(a[1])! }
        injected = Self.matches(#"\*\*0x([0-9a-f]+)-0x([0-9a-f]+)\*\*"#, text).map { UInt64($0[1], radix: 16)!..<UInt64($0[2], radix: 16)! }
        if let h = Self.matches(#"ELF header, `([0-9a-f ]+)`"#, text).first { elfHeader = h[1].split(separator: " ").map { UInt8($0, radix: 16)! } }
        if let n = Self.matches(#"`90`x(\d+) `c3`"#, text).first { nopCount = Int(n[1])! }
        if let s = Self.matches(#"MEMFD_INODE` \(name '[^']+', size (\d+)"#, text).first { memfdSize = UInt64(s[1])! }
        if let s = Self.matches(#"ghost-file-1\.img \(size (\d+)"#, text).first { ghostSize = UInt64(s[1])! }
        if let s = Self.matches(#"files\.img INETSK id (\d+): ino (\d+), INET STREAM ESTABLISHED, ([\d.]+):(\d+) -> ([\d.]+):(\d+)"#, text).first {
            shellSocket = (Int(s[1])!, Int(s[2])!, s[3], UInt32(s[4])!, s[5], UInt32(s[6])!)
        }
        for m in Self.matches(#"^pid (\d+) comm=\S+ marker=(\S+) enc=\S+ addr=0x([0-9a-f]+) len=(\d+)"#, text) {
            let hit = MarkerHit(pid: UInt32(m[1])!, marker: m[2], address: UInt64(m[3], radix: 16)!, length: UInt64(m[4])!)
            if !hits.contains(where: { $0.pid == hit.pid && $0.address == hit.address }) { hits.append(hit) }
        }
    }
}
