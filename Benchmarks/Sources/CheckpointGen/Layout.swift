/// PE_* flags of a pagemap run (CRIU-FORMAT.md 1.5).
public enum PE {
    public static let parent: UInt32 = 1
    public static let lazy: UInt32 = 2
    public static let present: UInt32 = 4
}

/// One `vma_entry`.
public struct VMASpec: Sendable {
    public var start: UInt64
    public var end: UInt64
    public var pgoff: UInt64 = 0
    public var shmid: UInt64 = 0
    public var prot: UInt32
    public var flags: UInt32
    public var status: UInt32
    public var madv: UInt64? = nil
    public var fdflags: UInt32? = nil
}

/// One `pagemap_entry`, plus where its data lives.
public struct RunSpec: Sendable {
    public var vaddr: UInt64
    public var pages: Int
    public var flags: UInt32
    /// For PRESENT runs: page index in this process's pages file; for PARENT runs: in the parent's pages file.
    public var filePage: Int = 0
    /// First global page ordinal (present ordinals for PRESENT runs, parent ordinals for PARENT runs).
    public var ordinal: UInt64 = 0
    public var isPresent: Bool { flags & PE.present != 0 }
    public var isParent: Bool { flags & PE.parent != 0 && flags & PE.present == 0 }
    public var isLazy: Bool { flags & PE.lazy != 0 }
    public var end: UInt64 { vaddr + UInt64(pages) * 4096 }
}

public enum FileSpec: Sendable {
    case reg(id: UInt32, name: String, flags: UInt32, pos: UInt64, mntID: Int32, size: UInt64?, mode: UInt32, buildID: [UInt32])
    case pipe(id: UInt32, pipeID: UInt32, flags: UInt32)
    case unix(id: UInt32, ino: UInt32, type: UInt32, state: UInt32, peer: UInt32, name: [UInt8], backlog: UInt32, flags: UInt32)
    case inet(id: UInt32, ino: UInt32, family: UInt32, type: UInt32, proto: UInt32, state: UInt32, srcPort: UInt32, dstPort: UInt32,
              srcAddr: UInt32, dstAddr: UInt32, backlog: UInt32, flags: UInt32)
    case eventfd(id: UInt32, counter: UInt64)

    public var id: UInt32 {
        switch self {
        case .reg(let id, _, _, _, _, _, _, _), .pipe(let id, _, _), .unix(let id, _, _, _, _, _, _, _),
             .inet(let id, _, _, _, _, _, _, _, _, _, _, _), .eventfd(let id, _): id
        }
    }

    /// fd_types value.
    public var type: UInt32 {
        switch self {
        case .reg: 1
        case .pipe: 2
        case .inet: 4
        case .unix: 5
        case .eventfd: 6
        }
    }

    public var kindName: String {
        switch self {
        case .reg: "reg"
        case .pipe: "pipe"
        case .inet: "inet"
        case .unix: "unix"
        case .eventfd: "eventfd"
        }
    }
}

public struct FDSpec: Sendable {
    public var fd: UInt32
    public var fileID: UInt32
    public var type: UInt32
    public var flags: UInt32 = 0
}

/// Bytes written into memory at an address (argv/env strings, markers).
public struct Plant: Sendable {
    public var address: UInt64
    public var bytes: [UInt8]
}

public struct ProcessSpec: Sendable {
    public var index: Int
    public var pid: UInt32 = 0
    public var ppid: UInt32 = 0
    public var pgid: UInt32 = 0
    public var sid: UInt32 = 0
    public var threads: [UInt32] = []
    public var threadCount: Int
    public var comm: String
    public var exe: String
    public var argv: [String]
    public var env: [String]
    public var isZombie = false
    public var parentIndex: Int?
    public var budget: Int
    public var parentBudget: Int
    public var libraryCount: Int

    public var exeFileID: UInt32 = 0
    public var cwdID: UInt32 = 0
    public var rootID: UInt32 = 0
    public var kobjID: UInt32 = 0
    public var pagesID: UInt32 = 0
    public var vmas: [VMASpec] = []
    public var runs: [RunSpec] = []
    public var fds: [FDSpec] = []
    public var plants: [Plant] = []

    public var startCode: UInt64 = 0, endCode: UInt64 = 0, startData: UInt64 = 0, endData: UInt64 = 0
    public var startStack: UInt64 = 0, startBrk: UInt64 = 0, brk: UInt64 = 0
    public var argStart: UInt64 = 0, argEnd: UInt64 = 0, envStart: UInt64 = 0, envEnd: UInt64 = 0
    /// Stack pointer of the leader; thread stacks of the others.
    public var stackPointers: [UInt64] = []
    public var textStart: UInt64 = 0

    public var presentPages: Int { runs.reduce(0) { $0 + ($1.isPresent ? $1.pages : 0) } }
    public var lazyPresentPages: Int { runs.reduce(0) { $0 + ($1.isPresent && $1.isLazy ? $1.pages : 0) } }
    public var parentPages: Int { runs.reduce(0) { $0 + ($1.isParent ? $1.pages : 0) } }
}

public struct MountSpec: Sendable {
    public var fstype: UInt32
    public var mntID: UInt32
    public var rootDev: UInt32
    public var parentMntID: UInt32
    public var flags: UInt32
    public var root: String
    public var mountpoint: String
    public var source: String
    public var options: String
    public var sbFlags: UInt32 = 0
    public var extKey: String? = nil
}

/// The whole synthetic container, before any byte is written.
public struct CheckpointLayout: Sendable {
    public var config: GeneratorConfig
    public var processes: [ProcessSpec]
    public var files: [FileSpec]
    public var mounts: [MountSpec]
    public var markers: [MarkerRecord]
    public var containerID: String
    public var containerName: String
    public var runID: String
    /// Present-page ordinals that must never change in the twin (argv/env pages).
    public var pinnedOrdinals: Set<UInt64>
    public var totalPresentPages: Int
    public var totalParentPages: Int
}

public struct MarkerRecord: Codable, Sendable {
    public var index: Int
    public var text: String
    public var pid: UInt32
    public var address: UInt64
    public var addressHex: String
    /// `present`: in this image set's pages file; `parent`: in pre-checkpoint/ (a PE_PARENT run).
    public var location: String
    public var pagesFile: String
    public var fileOffset: UInt64
    /// True when the marker crosses a page boundary (inside one run).
    public var straddlesPages: Bool
    /// The page ordinals the marker touches (first, last) in its ordinal space.
    public var ordinals: [UInt64]
}

/// Process templates: what real containers run.
struct Template {
    var exe: String
    var comm: String
    var argv: [String]
    var threads: ClosedRange<Int>
}

let templates: [Template] = [
    Template(exe: "/usr/local/bin/python3.12", comm: "gunicorn", argv: ["/usr/local/bin/python3.12", "/usr/local/bin/gunicorn", "-w", "4", "app:app"], threads: 1...4),
    Template(exe: "/usr/sbin/nginx", comm: "nginx", argv: ["nginx: worker process"], threads: 1...1),
    Template(exe: "/usr/local/bin/node", comm: "node", argv: ["/usr/local/bin/node", "/srv/server.js"], threads: 7...11),
    Template(exe: "/usr/bin/redis-server", comm: "redis-server", argv: ["/usr/bin/redis-server", "*:6379"], threads: 4...6),
    Template(exe: "/bin/bash", comm: "bash", argv: ["/bin/bash", "/entrypoint.sh"], threads: 1...1),
    Template(exe: "/usr/bin/postgres", comm: "postgres", argv: ["postgres: checkpointer"], threads: 1...1),
    Template(exe: "/usr/local/bin/envoy", comm: "envoy", argv: ["/usr/local/bin/envoy", "-c", "/etc/envoy/envoy.yaml"], threads: 8...12),
    Template(exe: "/usr/bin/sleep", comm: "sleep", argv: ["sleep", "infinity"], threads: 1...1),
]

let libraryNames: [String] = [
    "/usr/lib/x86_64-linux-gnu/libc.so.6", "/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
    "/usr/lib/x86_64-linux-gnu/libm.so.6", "/usr/lib/x86_64-linux-gnu/libz.so.1.2.13",
    "/usr/lib/x86_64-linux-gnu/libssl.so.3", "/usr/lib/x86_64-linux-gnu/libcrypto.so.3",
    "/usr/lib/x86_64-linux-gnu/libstdc++.so.6.0.30", "/usr/lib/x86_64-linux-gnu/libgcc_s.so.1",
    "/usr/lib/x86_64-linux-gnu/libpcre2-8.so.0.11.2", "/usr/lib/x86_64-linux-gnu/libsqlite3.so.0.8.6",
    "/usr/lib/x86_64-linux-gnu/libffi.so.8.1.2", "/usr/lib/x86_64-linux-gnu/libexpat.so.1.8.10",
    "/usr/lib/x86_64-linux-gnu/liblzma.so.5.4.1", "/usr/lib/x86_64-linux-gnu/libbz2.so.1.0.4",
    "/usr/lib/x86_64-linux-gnu/libuuid.so.1.3.0", "/usr/lib/x86_64-linux-gnu/libzstd.so.1.5.4",
]

func libraryName(_ k: Int) -> String {
    k < libraryNames.count ? libraryNames[k] : "/usr/lib/python3.12/lib-dynload/_bench\(k)_module.cpython-312-x86_64-linux-gnu.so"
}

let pageSize: UInt64 = 4096
let MAP_PRIVATE: UInt32 = 0x2, MAP_ANON: UInt32 = 0x20, MAP_GROWSDOWN: UInt32 = 0x100
let VMA_REGULAR: UInt32 = 0x1, VMA_VSYSCALL: UInt32 = 0x4, VMA_VDSO: UInt32 = 0x8, VMA_HEAP: UInt32 = 0x20
let VMA_FILE_PRIVATE: UInt32 = 0x40, VMA_ANON_PRIVATE: UInt32 = 0x200, VMA_VVAR: UInt32 = 0x1000
