#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public struct GeneratorError: Error, CustomStringConvertible {
    public var description: String
    init(_ d: String) { description = d }
}

/// A file written through a large buffer (pages files are never held in memory).
final class BufferedFile {
    let fd: Int32
    let path: String
    let buffer: UnsafeMutableRawBufferPointer
    var used = 0
    private(set) var written: UInt64 = 0

    init(path: String, capacity: Int = 1 << 20) throws {
        self.path = path
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw GeneratorError("cannot create \(path): errno \(errno)") }
        buffer = .allocate(byteCount: capacity, alignment: 4096)
    }

    /// Space for `count` bytes at the end of the buffer, flushing first if needed.
    func reserve(_ count: Int) throws -> UnsafeMutableRawBufferPointer {
        if used + count > buffer.count { try flush() }
        let slice = UnsafeMutableRawBufferPointer(rebasing: buffer[used..<(used + count)])
        used += count
        return slice
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        let dst = try reserve(bytes.count)
        dst.copyMemory(from: bytes)
    }

    func flush() throws {
        var offset = 0
        while offset < used {
            let n = Glibc.write(fd, buffer.baseAddress! + offset, used - offset)
            guard n > 0 else { throw GeneratorError("write \(path): errno \(errno)") }
            offset += n
        }
        written += UInt64(used)
        used = 0
    }

    func close() throws {
        try flush()
        _ = Glibc.close(fd)
        buffer.deallocate()
    }
}

func writeFile(_ path: String, _ bytes: [UInt8]) throws {
    let f = try BufferedFile(path: path, capacity: max(4096, bytes.count))
    try bytes.withUnsafeBytes { try f.write($0) }
    try f.close()
}

func writeFile(_ path: String, _ text: String) throws { try writeFile(path, Array(text.utf8)) }

func makeDirectory(_ path: String) throws {
    var partial = path.hasPrefix("/") ? "" : "."
    for component in path.split(separator: "/") {
        partial += "/" + component
        if mkdir(partial, 0o755) != 0 && errno != EEXIST {
            throw GeneratorError("mkdir \(partial): errno \(errno)")
        }
    }
}

func removeTree(_ path: String) {
    var st = stat()
    guard lstat(path, &st) == 0 else { return }
    if st.st_mode & S_IFMT == S_IFDIR {
        if let dir = opendir(path) {
            while let entry = readdir(dir) {
                let name = withUnsafePointer(to: entry.pointee.d_name) {
                    $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
                }
                if name == "." || name == ".." { continue }
                removeTree(path + "/" + name)
            }
            closedir(dir)
        }
        rmdir(path)
    } else {
        unlink(path)
    }
}

/// Runs a program, optionally with stdout to a file; throws on a non-zero exit.
func runProgram(_ argv: [String], stdoutPath: String? = nil) throws {
    var pid: pid_t = 0
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    if let stdoutPath {
        posix_spawn_file_actions_addopen(&actions, 1, stdoutPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    }
    var cargs = argv.map { strdup($0) } + [nil]
    defer { for p in cargs { free(p) } }
    let rc = posix_spawnp(&pid, argv[0], &actions, nil, &cargs, environ)
    guard rc == 0 else { throw GeneratorError("cannot run \(argv[0]): \(rc)") }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    guard status == 0 else { throw GeneratorError("\(argv.joined(separator: " ")) failed (status \(status))") }
}

func which(_ program: String) -> String? {
    for dir in ["/usr/bin", "/bin", "/usr/local/bin"] where access(dir + "/" + program, X_OK) == 0 { return dir + "/" + program }
    return nil
}

func log(_ verbose: Bool, _ message: String) {
    guard verbose else { return }
    printError(message)
}

func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

/// Writes a line to standard error (fd 2).
public func printError(_ message: String) {
    let bytes = Array((message + "\n").utf8)
    _ = bytes.withUnsafeBytes { Glibc.write(2, $0.baseAddress, $0.count) }
}
