import ArgumentParser
import Foundation

/// Writes files the user asked for: only where they said, never through a symlink, never over an
/// existing file without --force, with mode 0600.
enum SafeOutput {
    struct Refused: Error, CustomStringConvertible {
        var description: String
    }

    /// Creates (or with `force`, truncates) `path` without following a symlink at its last component;
    /// `readable` opens it for reading too.
    static func open(_ path: String, force: Bool, readable: Bool = false) throws -> FileHandle {
        try refuseRaw(path)
        var flags = (readable ? O_RDWR : O_WRONLY) | O_CREAT | O_NOFOLLOW | O_CLOEXEC
        flags |= force ? O_TRUNC : O_EXCL
        return try checked(Glibc.open(path, flags, 0o600), path)
    }

    /// The handle of a file just created with `O_NOFOLLOW` (`fd`, or -1 with errno set): the error
    /// convention for an existing file, a symlink or another failure, and a check that it is a regular file.
    static func checked(_ fd: Int32, _ path: String) throws -> FileHandle {
        if fd < 0 {
            let e = errno
            if e == EEXIST {
                Output.error("\(path): exists (use --force to overwrite)")
            } else if e == ELOOP {
                Output.error("\(path): is a symbolic link; refusing to write through it")
            } else {
                Output.error("\(path): cannot create: \(String(cString: strerror(e)))")
            }
            throw ExitCode.usage
        }
        var st = stat()
        if fstat(fd, &st) == 0, (st.st_mode & S_IFMT) != S_IFREG {
            close(fd)
            Output.error("\(path): not a regular file")
            throw ExitCode.usage
        }
        return FileHandle(fileDescriptor: fd, closeOnDealloc: true)
    }

    static func write(_ data: Data, to path: String, force: Bool) throws {
        let handle = try open(path, force: force)
        handle.write(data)
    }

    /// A directory the user named for output: must exist (or be created) and not be a symlink.
    static func directory(_ path: String) throws -> String {
        try refuseRaw(path)
        var st = stat()
        if lstat(path, &st) == 0 {
            guard (st.st_mode & S_IFMT) == S_IFDIR else {
                Output.error("\(path): not a directory")
                throw ExitCode.usage
            }
        } else {
            guard mkdir(path, 0o700) == 0 else {
                Output.error("\(path): cannot create directory: \(String(cString: strerror(errno)))")
                throw ExitCode.usage
            }
        }
        return path
    }

    /// Output goes only to names that are UTF-8: a name given as other bytes is known here by its
    /// display form (``RawPath``), and writing under that form would create another file.
    static func refuseRaw(_ path: String) throws {
        guard RawPath.isRaw(path) else { return }
        Output.error("\(path): output paths must be UTF-8 (this name is not; \\xNN marks its bytes)")
        throw ExitCode.usage
    }

    /// A file name inside `directory`: the name must be a single component.
    static func child(_ directory: String, _ name: String) -> String {
        precondition(!name.contains("/") && name != ".." && name != ".")
        return (directory as NSString).appendingPathComponent(name)
    }
}

/// A tree of files written under a directory the user named (`fs extract`): every component is
/// entered with `openat(O_DIRECTORY | O_NOFOLLOW)` from the named directory down, or created with
/// mode 0700, so nothing is written through a symbolic link or outside the directory; files are
/// created with mode 0600, never over an existing file without `force`.
final class SafeTree {
    let root: String
    let rootDescriptor: Int32

    init(_ path: String) throws {
        root = try SafeOutput.directory(path)
        rootDescriptor = Glibc.open(root, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        if rootDescriptor < 0 {
            Output.error("\(path): cannot open: \(String(cString: strerror(errno)))")
            throw ExitCode.usage
        }
    }

    deinit { close(rootDescriptor) }

    /// Why a path cannot be written inside the tree, or nil: `..`, `.` and empty components, and NUL bytes.
    static func refusal(_ components: [[UInt8]]) -> String? {
        if components.isEmpty { return "an empty path" }
        for c in components {
            if c.isEmpty || c == [UInt8(ascii: ".")] || c == [UInt8(ascii: "."), UInt8(ascii: ".")] { return "a '\(String(decoding: c, as: UTF8.self))' component" }
            if c.contains(0) || c.contains(UInt8(ascii: "/")) { return "a NUL or '/' in a component" }
        }
        return nil
    }

    /// `root/path` for messages.
    func shown(_ display: String) -> String {
        (root as NSString).appendingPathComponent(String(display.drop { $0 == "/" }))
    }

    /// The directory `components` below the root, created (0700) where missing; the caller closes it.
    func directory(_ components: [[UInt8]], display: String) throws -> Int32 {
        var fd = dup(rootDescriptor)
        for c in components {
            let name = c + [0]
            var next = name.withUnsafeBufferPointer { openat(fd, UnsafeRawPointer($0.baseAddress!).assumingMemoryBound(to: CChar.self), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
            if next < 0 && errno == ENOENT {
                _ = name.withUnsafeBufferPointer { mkdirat(fd, UnsafeRawPointer($0.baseAddress!).assumingMemoryBound(to: CChar.self), 0o700) }
                next = name.withUnsafeBufferPointer { openat(fd, UnsafeRawPointer($0.baseAddress!).assumingMemoryBound(to: CChar.self), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
            }
            let e = errno
            close(fd)
            guard next >= 0 else {
                let why = e == ELOOP || e == ENOTDIR ? "is a symbolic link or not a directory; refusing to write through it" : String(cString: strerror(e))
                Output.error("\(shown(display)): a directory on the way \(why)")
                throw ExitCode.usage
            }
            fd = next
        }
        return fd
    }

    /// Creates the file `components` (parents created as needed).
    func create(_ components: [[UInt8]], display: String, force: Bool) throws -> Foundation.FileHandle {
        let parent = try directory(Array(components.dropLast()), display: display)
        defer { close(parent) }
        var flags = O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC
        flags |= force ? O_TRUNC : O_EXCL
        let name = components.last! + [0]
        let fd = name.withUnsafeBufferPointer { openat(parent, UnsafeRawPointer($0.baseAddress!).assumingMemoryBound(to: CChar.self), flags, 0o600) }
        return try SafeOutput.checked(fd, shown(display))
    }
}
