import CRIUImages

/// Everything needed to describe open files: the files.img table and the images that complete it.
struct FileTables {
    var files: [UInt32: FileEntry] = [:]
    var remaps: [UInt32: RemapFilePath] = [:]
    var memfdInodes: [UInt32: MemFDInode] = [:]
    var pipeData: [UInt32: UInt64] = [:]
    var socketQueues: [UInt32: (packets: Int, bytes: UInt64)] = [:]
    var tcpStreams: [UInt32: TCPStream] = [:]
    var ttys: [UInt32: TTYInfo] = [:]

    func path(ofFileID id: UInt32) -> String? {
        guard let entry = files[id] else { return nil }
        switch entry.file {
        case .regular(let reg): return reg.name.description
        case .memfd(let memfd): return memfdInodes[memfd.inodeID].map { "/memfd:" + $0.name.description }
        default: return nil
        }
    }

    static func octalFlags(_ flags: UInt32) -> String {
        var names: [String] = []
        switch flags & 3 {
        case 0: names.append("O_RDONLY")
        case 1: names.append("O_WRONLY")
        case 2: names.append("O_RDWR")
        default: names.append("O_ACCMODE")
        }
        let table: [(UInt32, String)] = [
            (0o100, "O_CREAT"), (0o200, "O_EXCL"), (0o400, "O_NOCTTY"), (0o1000, "O_TRUNC"), (0o2000, "O_APPEND"),
            (0o4000, "O_NONBLOCK"), (0o10000, "O_DSYNC"), (0o20000, "O_ASYNC"), (0o40000, "O_DIRECT"),
            (0o100000, "O_LARGEFILE"), (0o200000, "O_DIRECTORY"), (0o400000, "O_NOFOLLOW"), (0o1000000, "O_NOATIME"),
            (0o2000000, "O_CLOEXEC"), (0o10000000, "O_PATH"),
        ]
        for (bit, name) in table where flags & bit != 0 { names.append(name) }
        return names.joined(separator: "|")
    }

    static func socketType(_ t: UInt32) -> String {
        [1: "STREAM", 2: "DGRAM", 3: "RAW", 5: "SEQPACKET", 10: "PACKET"][t] ?? "type \(t)"
    }

    static func socketState(_ s: UInt32) -> String {
        [1: "ESTABLISHED", 2: "SYN_SENT", 3: "SYN_RECV", 4: "FIN_WAIT1", 5: "FIN_WAIT2", 6: "TIME_WAIT", 7: "CLOSE",
         8: "CLOSE_WAIT", 9: "LAST_ACK", 10: "LISTEN", 11: "CLOSING", 12: "NEW_SYN_RECV"][s] ?? "state \(s)"
    }

    static func signals(_ mask: UInt64) -> String { SignalMask(rawValue: mask).names.joined(separator: "|") }

    /// Describes one fd.
    func describe(_ info: FileDescriptorInfo) -> OpenFile {
        var file = OpenFile(fd: info.fd, fdFlags: info.flags, type: info.type, fileID: info.id,
                            kind: "unknown", target: "?", details: [], entry: files[info.id])
        typealias D = OpenFile.Detail
        guard let entry = files[info.id] else {
            file.details = [D("error", "file id \(info.id) is not in files.img")]
            return file
        }
        switch entry.file {
        case .regular(let reg):
            file.kind = "file"
            file.target = reg.name.description
            file.details = [D("flags", Self.octalFlags(reg.flags)), D("pos", number: reg.position)]
            if let size = reg.size { file.details.append(D("size", number: size)) }
            if let mode = reg.mode { file.details.append(D("mode", "0" + String(mode, radix: 8))) }
            if let remap = remaps[reg.id] {
                file.details.append(D("deleted", "yes"))
                file.details.append(D("remap", "\(remap.effectiveType)"))
                file.target += " (deleted)"
            }
        case .pipe(let pipe):
            file.kind = "pipe"
            file.target = "pipe:[\(pipe.pipeID)]"
            file.details = [D("flags", Self.octalFlags(pipe.flags))]
            if let queued = pipeData[pipe.pipeID] { file.details.append(D("queued_bytes", number: queued)) }
        case .fifo(let fifo):
            file.kind = "fifo"
            file.target = fifo.regularFileID.flatMap { path(ofFileID: $0) } ?? "fifo:[\(fifo.pipeID)]"
            if let queued = pipeData[fifo.pipeID] { file.details.append(D("queued_bytes", number: queued)) }
        case .unixSocket(let sk):
            file.kind = "unix"
            file.target = "socket:[\(sk.inode)]"
            file.details = [D("type", Self.socketType(sk.type)), D("state", Self.socketState(sk.state))]
            if !sk.name.isEmpty { file.details.append(D("name", sk.isAbstract ? "@" + String(decoding: sk.name.dropFirst(), as: UTF8.self) : sk.path.description)) }
            file.details.append(D("peer", number: sk.peer))
            if let q = socketQueues[sk.id] { file.details += [D("queued_bytes", number: q.bytes), D("queued_packets", number: q.packets)] }
        case .inetSocket(let sk):
            let family = sk.family == 10 ? "inet6" : "inet"
            let proto = [6: "tcp", 17: "udp", 136: "udplite", 1: "icmp", 58: "icmpv6"][sk.protocolNumber] ?? "proto \(sk.protocolNumber)"
            file.kind = proto
            file.target = "socket:[\(sk.inode)]"
            let src = sk.sourceAddress.map(\.description) ?? "*"
            let dst = sk.destinationAddress.map(\.description) ?? "*"
            file.details = [D("family", family), D("type", Self.socketType(sk.type)), D("state", Self.socketState(sk.state)),
                            D("local", address: src, port: sk.sourcePort)]
            if sk.destinationPort != 0 || sk.state == 1 { file.details.append(D("remote", address: dst, port: sk.destinationPort)) }
            if let stream = tcpStreams[sk.inode] {
                file.details.append(D("recv_queue", number: stream.receiveQueueLength))
                file.details.append(D("send_queue", number: stream.sendQueueLength))
            }
            if let q = socketQueues[sk.id] { file.details += [D("queued_bytes", number: q.bytes), D("queued_packets", number: q.packets)] }
        case .packetSocket(let sk):
            file.kind = "packet"
            file.target = "socket:[packet]"
            file.details = [D("type", Self.socketType(sk.type)), D("protocol", "0x" + String(sk.protocolNumber, radix: 16)), D("ifindex", number: sk.interfaceIndex)]
        case .netlinkSocket(let sk):
            file.kind = "netlink"
            file.target = "socket:[\(sk.inode)]"
            file.details = [D("protocol", number: sk.protocolNumber), D("portid", number: sk.portID)]
        case .eventfd(let efd):
            file.kind = "eventfd"
            file.target = "anon_inode:[eventfd]"
            file.details = [D("count", number: efd.counter), D("flags", Self.octalFlags(efd.flags))]
        case .eventpoll(let ep):
            file.kind = "eventpoll"
            file.target = "anon_inode:[eventpoll]"
            file.details = [D("targets", records: ep.targets.map { [D("fd", number: $0.fd), D("events", "0x" + String($0.events, radix: 16)), D("data", "0x" + String($0.data, radix: 16))] })]
        case .signalfd(let sfd):
            file.kind = "signalfd"
            file.target = "anon_inode:[signalfd]"
            file.details = [D("mask", Self.signals(sfd.signalMask))]
        case .inotify(let ify):
            file.kind = "inotify"
            file.target = "anon_inode:inotify"
            file.details = [D("watches", records: ify.watches.map { [D("wd", number: $0.watchDescriptor), D("inode", number: $0.inode), D("mask", "0x" + String($0.mask, radix: 16))] })]
        case .fanotify(let ffy):
            file.kind = "fanotify"
            file.target = "anon_inode:[fanotify]"
            file.details = [D("marks", number: ffy.marks.count)]
        case .timerfd(let tfd):
            file.kind = "timerfd"
            file.target = "anon_inode:[timerfd]"
            let clock = [0: "CLOCK_REALTIME", 1: "CLOCK_MONOTONIC", 7: "CLOCK_BOOTTIME", 8: "CLOCK_REALTIME_ALARM", 9: "CLOCK_BOOTTIME_ALARM"][tfd.clockID] ?? "clock \(tfd.clockID)"
            func t(_ s: UInt64, _ ns: UInt64) -> String { ns == 0 ? "\(s)s" : "\(s).\(String(ns + 1_000_000_000).dropFirst())s" }
            file.details = [D("clock", clock), D("value", t(tfd.valueSeconds, tfd.valueNanoseconds)),
                            D("interval", t(tfd.intervalSeconds, tfd.intervalNanoseconds)), D("ticks", number: tfd.ticks)]
        case .tty(let tty):
            file.kind = "tty"
            file.target = tty.regularFileID.flatMap { path(ofFileID: $0) } ?? "tty"
            if let info = ttys[tty.ttyInfoID] {
                file.details = [D("type", "\(info.type)")]
                if let pty = info.ptyIndex { file.details.append(D("index", number: pty.index)) }
            }
        case .memfd(let memfd):
            file.kind = "memfd"
            let inode = memfdInodes[memfd.inodeID]
            file.target = "/memfd:" + (inode?.name.description ?? "?")
            file.details = [D("flags", Self.octalFlags(memfd.flags)), D("pos", number: memfd.position)]
            if let inode {
                file.details.append(D("size", number: inode.size))
                file.details.append(D("shmid", number: inode.shmid))
            }
        case .tun(let tun):
            file.kind = "tun"
            file.target = "/dev/net/tun"
            if let device = tun.device { file.details = [D("device", device.description)] }
        case .bpfMap(let map):
            file.kind = "bpf-map"
            file.target = "anon_inode:bpf-map"
            file.details = [D("name", map.mapName.description), D("type", number: map.mapType), D("entries", number: map.maxEntries)]
        case .pidfd(let pidfd):
            file.kind = "pidfd"
            file.target = "anon_inode:[pidfd]"
            file.details = [D("pid", number: pidfd.pid)]
        case .namespace(let ns):
            file.kind = "ns"
            file.target = "ns:[\(ns.namespaceID)]"
        case .external:
            file.kind = "external"
            file.target = "external"
        case .missing:
            file.kind = "unknown"
            file.details = [D("error", "files.img entry \(info.id) has no description")]
        case .unknown(let type):
            file.kind = "unknown"
            file.details = [D("type", number: type)]
        }
        return file
    }
}
