import ArgumentParser
import Foundation

/// Writes files the user asked for: only where they said, never through a symlink, never over an
/// existing file without --force, with mode 0600.
enum SafeOutput {
    struct Refused: Error, CustomStringConvertible {
        var description: String
    }

    /// Creates (or with `force`, truncates) `path` without following a symlink at its last component.
    static func open(_ path: String, force: Bool) throws -> FileHandle {
        try refuseRaw(path)
        var flags = O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC
        flags |= force ? O_TRUNC : O_EXCL
        let fd = Glibc.open(path, flags, 0o600)
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
