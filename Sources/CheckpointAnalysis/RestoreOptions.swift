import Checkpoint
import CRIUImages

/// The `criu restore` options a checkpoint needs, read from what it holds: one `restore.*` finding
/// per option (info: a container engine passes them itself; a plain `criu restore` fails without),
/// with the objects that need it as evidence.
enum RestoreOptions {
    static let checks = ["restore.tcp-established", "restore.shell-job", "restore.ext-unix-sk", "restore.external-mounts",
                         "restore.external-net", "restore.file-locks"]

    /// At most this many objects are named in one finding; the count says how many there are.
    static let shown = 5

    /// `a, b, c and 4 more`.
    static func list(_ items: [String]) -> String {
        let head = items.prefix(shown).joined(separator: ", ")
        return items.count > shown ? head + " and \(items.count - shown) more" : head
    }

    /// `1 established TCP connection`, `2 established TCP connections`.
    static func count(_ n: Int, _ noun: String, _ plural: String) -> String { "\(n) \(n == 1 ? noun : plural)" }

    static func findings(_ c: Checkpoint) -> [Finding] {
        var out: [Finding] = []
        func add(_ id: String, _ option: String, _ what: String, _ evidence: [String], image: String?, hint: String) {
            guard !evidence.isEmpty else { return }
            out.append(Finding(id: id, severity: .info, message: "restore needs \(option): \(what): \(list(evidence))", image: image, hint: hint))
        }
        let files = c.images.path(of: "files.img")

        // Established TCP connections are dumped only with --tcp-established and restored only with it.
        var tcp: [String] = []
        var externalUnix: [String] = []
        for p in c.processes {
            for f in p.files {
                guard let entry = f.entry else { continue }
                switch entry.file {
                case .inetSocket(let sk) where sk.protocolNumber == 6 && sk.state == 1:
                    tcp.append("pid \(p.pid) fd \(f.fd) \(f.detail("local") ?? "?") -> \(f.detail("remote") ?? "?") (file id \(sk.id))")
                case .unixSocket(let sk) where sk.criuFlags & 1 != 0:
                    externalUnix.append("pid \(p.pid) fd \(f.fd) socket \(sk.inode) to \(sk.peer == 0 ? "?" : String(sk.peer)) (file id \(sk.id))")
                default: break
                }
            }
        }
        if c.inventory?.tcpClose != true {
            add("restore.tcp-established", "--tcp-established", count(tcp.count, "established TCP connection", "established TCP connections"), tcp,
                image: files, hint: "CRIU repairs these connections on restore (TCP repair mode, CAP_NET_ADMIN, the same IP addresses); --tcp-close restores them closed instead. Podman passes --tcp-established when the checkpoint was made with it.")
        }
        add("restore.ext-unix-sk", "--ext-unix-sk", count(externalUnix.count, "unix socket connected outside the checkpoint", "unix sockets connected outside the checkpoint"),
            externalUnix, image: files, hint: "They were dumped with --ext-unix-sk (uflags EXTERN); their peers must exist again when the processes come back.")

        // A session or process group whose leader was not dumped: the processes were started from a
        // shell or terminal outside the checkpoint.
        let pids = Set(c.processes.map(\.pid))
        var outside: [String] = []
        for p in c.processes {
            if p.sid != 0 && !pids.contains(p.sid) { outside.append("pid \(p.pid) in session \(p.sid)") }
            else if p.pgid != 0 && !pids.contains(p.pgid) { outside.append("pid \(p.pid) in process group \(p.pgid)") }
        }
        add("restore.shell-job", "--shell-job", count(outside.count, "process whose session or group leader is outside the checkpoint",
                                                      "processes whose session or group leader is outside the checkpoint"),
            outside, image: c.images.path(of: "pstree.img"),
            hint: "The session (a shell, a terminal) stays behind; --shell-job lets CRIU restore the processes into the restoring shell's session.")

        // Bind mounts from the host (--external mnt[...] on dump) need a host path each on restore.
        var external: [String] = []
        for ns in c.mounts.keys.sorted() {
            for m in c.mounts[ns] ?? [] {
                if let key = m.externalKey { external.append("\(m.mountPoint.description) (key \(key.description))") }
            }
        }
        add("restore.external-mounts", "--external mnt[KEY]:PATH for each external mount",
            count(external.count, "mount was external at dump", "mounts were external at dump"), external,
            image: c.mounts.keys.sorted().first.map { c.images.path(of: "mountpoints-\($0).img") },
            hint: "Each was bind-mounted from the host (such as /dev/null over /proc/keys); the restore must say what to mount there. runc and Podman pass them from the container's configuration.")

        // A network namespace the engine created (netns-N.img holds only ext_key).
        let nets = c.networkNamespaces.values.filter(\.isExternal).sorted { $0.id < $1.id }
            .map { "network namespace \($0.id) (key \($0.namespace?.externalKey?.description ?? "?"))" }
        add("restore.external-net", "--external net[INODE]:KEY (or --join-ns net:PATH)", "the network namespace is external", nets,
            image: nil, hint: "The engine created the namespace and passes it again on restore; with plain criu, name a namespace to restore into.")

        // File locks are dumped only with --file-locks, and restored only with it.
        if let bytes = try? c.images.read("filelocks.img"), let image = try? ImageFile.parse(bytes, fileName: "filelocks.img"), !image.entries.isEmpty {
            add("restore.file-locks", "--file-locks", count(image.entries.count, "file lock", "file locks"),
                ["\(image.entries.count) in filelocks.img"], image: c.images.path(of: "filelocks.img"),
                hint: "The processes held POSIX or flock locks; CRIU takes them again on restore only with --file-locks.")
        }
        return out
    }

    /// The `restore.*` findings a host comparison repeats (`host.external.mount`, `host.external.unix`) left out.
    static func withoutDuplicates(_ findings: [Finding], of host: [Finding]) -> [Finding] {
        let repeated = ["restore.external-mounts": "host.external.mount", "restore.ext-unix-sk": "host.external.unix"]
        let ids = Set(host.map(\.id))
        return findings.filter { f in repeated[f.id].map { !ids.contains($0) } ?? true }
    }

    /// The option each `restore.*` finding asks for (and the host comparison's findings that ask for one).
    static let option = [
        "host.external.mount": "--external mnt[...]", "host.external.unix": "--ext-unix-sk", "host.external.fd": "--inherit-fd fd[...]",
        "restore.tcp-established": "--tcp-established", "restore.shell-job": "--shell-job", "restore.ext-unix-sk": "--ext-unix-sk",
        "restore.external-mounts": "--external mnt[...]", "restore.external-net": "--external net[...]", "restore.file-locks": "--file-locks",
    ]
}

extension VerificationReport {
    /// The `criu restore` options the checkpoint needs (`--tcp-established`, `--shell-job`, ...), from
    /// its `restore.*` findings, in report order.
    public var restoreOptions: [String] {
        var seen = Set<String>()
        return findings.compactMap { RestoreOptions.option[$0.id] }.filter { seen.insert($0).inserted }
    }
}
