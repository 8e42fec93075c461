import CheckpointArchive
import CRIUImages

/// Bytes CRIU saved outside process memory, named as their source: a TCP connection's receive or
/// send queue (`tcp-stream-<ino>.img`), a pipe or FIFO buffer (`pipes-data.img`, `fifo-data.img`),
/// a unix socket's queued messages (`sk-queues.img`), the contents of a deleted file that was still
/// open (`ghost-file-<id>.img`), and a memfd's contents (`pagemap-shmem-<shmid>.img` and its pages).
///
/// List them with ``Checkpoint/inFlightData()``, read them with
/// ``Checkpoint/streamInFlightData(_:chunkSize:body:)`` (bounded memory, one pass over a compressed
/// archive for all of them) or ``Checkpoint/readInFlightData(_:maxBytes:)``:
///
/// ```swift
/// let checkpoint = try Checkpoint.open("checkpoint.tar")
/// let sources = try checkpoint.inFlightData()
/// try checkpoint.streamInFlightData(sources) { index, offset, bytes in
///     print(sources[index].name, offset, bytes.count)   // "tcp receive queue, fd 15 of pid 23431, ..."
/// }
/// ```
public struct InFlightData: Hashable, Sendable {
    /// What kind of saved data a source is.
    public enum Kind: String, Hashable, Sendable, CaseIterable, Codable {
        /// Bytes a TCP socket had received and the process had not read (`inq`).
        case tcpReceiveQueue = "tcp-recv-queue"
        /// Bytes a TCP socket had been given to send and the peer had not acknowledged (`outq`).
        case tcpSendQueue = "tcp-send-queue"
        /// A pipe's buffer (`pipes-data.img`).
        case pipe
        /// A FIFO's buffer (`fifo-data.img`).
        case fifo
        /// The messages queued on a socket (`sk-queues.img`): unix sockets' receive queues.
        case socketQueue = "socket-queue"
        /// The contents of a file deleted while open (`ghost-file-<id>.img`).
        case ghostFile = "ghost-file"
        /// The contents of a memfd (its shared-memory pagemap).
        case memfd

        /// How the kind is named in ``InFlightData/name``.
        public var label: String {
            switch self {
            case .tcpReceiveQueue: "tcp receive queue"
            case .tcpSendQueue: "tcp send queue"
            case .pipe: "pipe buffer"
            case .fifo: "fifo buffer"
            case .socketQueue: "socket queue"
            case .ghostFile: "ghost file"
            case .memfd: "memfd"
            }
        }
    }

    /// A process that holds the source: through a file descriptor, as its executable, or mapped.
    public struct Holder: Hashable, Sendable, Codable, Comparable {
        /// How a process holds a source.
        public enum Role: String, Hashable, Sendable, Codable {
            /// An open file descriptor (``fd``).
            case fd
            /// The process's executable (`mm_entry.exe_file_id`).
            case executable = "exe"
            /// A memory mapping of the file.
            case mapping = "mapped"
        }
        /// The process.
        public var pid: UInt32
        /// The descriptor, for ``Role/fd``.
        public var fd: UInt32?
        /// How the process holds it.
        public var role: Role

        /// `fd 11 of pid 1`, `exe of pid 7`, `mapped by pid 7`.
        public var description: String {
            switch role {
            case .fd: "fd \(fd ?? 0) of pid \(pid)"
            case .executable: "exe of pid \(pid)"
            case .mapping: "mapped by pid \(pid)"
            }
        }

        /// Orders by pid, then role (fds first), then fd.
        public static func < (a: Holder, b: Holder) -> Bool {
            func rank(_ r: Role) -> Int { r == .fd ? 0 : r == .executable ? 1 : 2 }
            return (a.pid, rank(a.role), a.fd ?? 0) < (b.pid, rank(b.role), b.fd ?? 0)
        }
    }

    /// A range of the source that the checkpoint holds no bytes for (a memfd's pages that were
    /// never written, a ghost file's sparse gaps): reads give zeros there.
    public struct Hole: Hashable, Sendable {
        /// Offsets inside the source.
        public var range: Range<UInt64>
        /// Why there are no bytes (``MemoryHole/zeroFilled`` for sparse or untouched ranges).
        public var reason: MemoryHole
    }

    /// A stable identifier, unique in the checkpoint: `tcp-recv-queue:70072` (socket inode),
    /// `pipe:46835` (pipe inode), `socket-queue:46837` (socket inode), `ghost-file:1` (ghost id),
    /// `memfd:4918` (shmem id); usable as a file name.
    public var id: String
    /// The kind of data.
    public var kind: Kind
    /// The source named for people: `tcp receive queue, fd 15 of pid 23431, 127.0.0.1:44724 -> 127.0.0.1:47001`.
    public var name: String
    /// The source's length in bytes (a ghost file's or memfd's size; the queued bytes).
    public var length: UInt64
    /// The processes holding it, sorted.
    public var holders: [Holder]
    /// The member path of the image the data (or, for a memfd, its pagemap) is in.
    public var image: String
    /// The entry of ``image`` (the `pipe_data_entry`, first `sk_packet_entry`...), when there is one.
    public var entry: Int?
    /// The file's path: a ghost file's original path, a memfd's `/memfd:NAME`.
    public var path: String?
    /// A socket's local endpoint (`127.0.0.1:44724`), or a unix socket's name.
    public var localEndpoint: String?
    /// A socket's peer endpoint (`127.0.0.1:47001`), or `socket:[ino]` of a unix socket's peer.
    public var remoteEndpoint: String?
    /// The pipe's or socket's inode, a ghost file's original inode.
    public var inode: UInt64?
    /// The number of queued messages (``Kind/socketQueue``).
    public var packets: Int?
    /// Ranges without bytes in the checkpoint, in order.
    public var holes: [Hole]
    /// Where each piece of the bytes is, in order of position.
    var pieces: [Piece]

    /// One run of the source's bytes: in an image of the checkpoint, or in a pages file.
    struct Piece: Hashable, Sendable {
        /// The offset inside the source.
        var position: UInt64
        var length: UInt64
        var location: Location

        enum Location: Hashable, Sendable {
            /// In image `name` of image set `set`, at a byte offset.
            case image(set: Int, name: String, offset: UInt64)
            /// In a pages file, at a byte offset.
            case pages(PagesFile, offset: UInt64)
        }

        var set: Int {
            switch location {
            case .image(let set, _, _): set
            case .pages(let file, _): file.set
            }
        }
    }

    /// `holders` as text: `fd 11 of pid 1`, `fds 0, 1, 2 of pid 7064 and fds 0, 1, 2 of pid 7095`.
    static func describe(_ holders: [Holder]) -> String {
        var parts: [String] = []
        var byPid: [(pid: UInt32, fds: [UInt32], other: [Holder.Role])] = []
        for h in holders.sorted() {
            if byPid.last?.pid != h.pid { byPid.append((h.pid, [], [])) }
            if h.role == .fd, let fd = h.fd { byPid[byPid.count - 1].fds.append(fd) } else { byPid[byPid.count - 1].other.append(h.role) }
        }
        for (pid, fds, other) in byPid {
            var what: [String] = []
            if !fds.isEmpty { what.append((fds.count == 1 ? "fd " : "fds ") + fds.map(String.init).joined(separator: ", ")) }
            if other.contains(.executable) { what.append("exe") }
            if other.contains(.mapping) && other.count == 1 && fds.isEmpty { what.append("mapping") }
            parts.append(what.joined(separator: " and ") + " of pid \(pid)")
        }
        return parts.isEmpty ? "held by no process" : parts.joined(separator: ", ")
    }
}

extension Checkpoint {
    /// Everything CRIU saved outside process memory, in a stable order: TCP queues, pipe and FIFO
    /// buffers, socket queues, ghost files, memfds (see ``InFlightData``). Empty queues are listed
    /// too (with length 0): they say the connection's queues were saved and held nothing.
    ///
    /// Reads the small images that say where the data is (ghost file images up to 64 MiB each);
    /// the data itself is read by ``streamInFlightData(_:chunkSize:body:)``.
    ///
    /// - Throws: ``CheckpointError`` naming the image and entry when an image is damaged.
    public func inFlightData() throws(CheckpointError) -> [InFlightData] {
        var sources: [InFlightData] = []
        var holdersOf: [UInt32: [InFlightData.Holder]] = [:]
        for p in processes {
            for f in p.files { holdersOf[f.fileID, default: []].append(.init(pid: p.pid, fd: f.fd, role: .fd)) }
            guard let mm = p.memory else { continue }
            holdersOf[mm.exeFileID, default: []].append(.init(pid: p.pid, fd: nil, role: .executable))
            var mapped = Set<UInt32>()
            for vma in mm.vmas where vma.isFileBacked || vma.status.contains(.memfd) {
                let id = UInt32(truncatingIfNeeded: vma.shmid)
                if mapped.insert(id).inserted { holdersOf[id, default: []].append(.init(pid: p.pid, fd: nil, role: .mapping)) }
            }
        }
        func holders(_ ids: [UInt32]) -> [InFlightData.Holder] { Array(Set(ids.flatMap { holdersOf[$0] ?? [] })).sorted() }
        func endpoint(_ address: InetAddress?, _ port: UInt32) -> String {
            let a = address?.description ?? "*"
            return (a.contains(":") ? "[\(a)]" : a) + ":\(port)"
        }
        func label(_ kind: InFlightData.Kind, _ holders: [InFlightData.Holder], _ rest: String?) -> String {
            ([kind.label, InFlightData.describe(holders)] + (rest.map { [$0] } ?? [])).joined(separator: ", ")
        }
        let names = images.fileNames()
        /// Frames a (small) image of the checkpoint's own set; nil when absent.
        func framed(_ name: String) throws(CheckpointError) -> ImageFile? {
            guard let bytes = try images.read(name) else { return nil }
            do {
                return try ImageFile.parse(bytes, fileName: name)
            } catch {
                throw CheckpointError(error, source: images.source.path, member: images.path(of: name))
            }
        }
        /// The entries of type `T` of a framed image, decoded, with their framing.
        func decoded<T: ImageMessage>(_ type: T.Type, _ image: ImageFile, _ bytes: [UInt8], _ name: String) throws(CheckpointError) -> [(ImageEntry, T)] {
            do {
                let values = try image.decodeEntries(T.self, in: bytes)
                return Array(zip(image.entries.filter { $0.message == T.messageName }, values))
            } catch {
                throw CheckpointError(error, source: images.source.path, member: images.path(of: name))
            }
        }
        func imagePiece(_ name: String, _ range: Range<Int>, at position: UInt64 = 0) -> InFlightData.Piece {
            .init(position: position, length: UInt64(range.count), location: .image(set: 0, name: name, offset: UInt64(range.lowerBound)))
        }

        // TCP queues.
        var inetByInode: [UInt32: [(id: UInt32, socket: InetSocket)]] = [:]
        var unixByID: [UInt32: UnixSocket] = [:]
        var pipesByID: [UInt32: [UInt32]] = [:]
        var fifosByID: [UInt32: [UInt32]] = [:]
        for (id, entry) in files {
            switch entry.file {
            case .inetSocket(let sk): inetByInode[sk.inode, default: []].append((id, sk))
            case .unixSocket(let sk): unixByID[id] = sk
            case .pipe(let pipe): pipesByID[pipe.pipeID, default: []].append(id)
            case .fifo(let fifo): fifosByID[fifo.pipeID, default: []].append(id)
            default: break
            }
        }
        for name in names where name.hasPrefix("tcp-stream-") && name.hasSuffix(".img") {
            guard let inode = UInt32(name.dropFirst("tcp-stream-".count).dropLast(4), radix: 16),
                  let image = try framed(name), let entry = image.entries.first,
                  case .tcpQueues(let inq, let outq)? = entry.extra else { continue }
            let sockets = inetByInode[inode] ?? []
            let held = holders(sockets.map(\.id))
            let sk = sockets.first?.socket
            let local = sk.map { endpoint($0.sourceAddress, $0.sourcePort) }
            let remote = sk.map { endpoint($0.destinationAddress, $0.destinationPort) }
            let flow = local.map { "\($0) -> \(remote ?? "?")" } ?? "socket:[\(inode)]"
            for (kind, range, prefix) in [(InFlightData.Kind.tcpReceiveQueue, inq, "tcp-recv-queue"), (.tcpSendQueue, outq, "tcp-send-queue")] {
                sources.append(InFlightData(
                    id: "\(prefix):\(inode)", kind: kind, name: label(kind, held, flow), length: UInt64(range.count), holders: held,
                    image: images.path(of: name), entry: 0, path: nil, localEndpoint: local, remoteEndpoint: remote, inode: UInt64(inode),
                    packets: nil, holes: [], pieces: range.isEmpty ? [] : [imagePiece(name, range)]))
            }
        }

        // Pipe and FIFO buffers.
        for (imageName, kind) in [("pipes-data.img", InFlightData.Kind.pipe), ("fifo-data.img", .fifo)] {
            guard let bytes = try images.read(imageName) else { continue }
            let image: ImageFile
            do { image = try ImageFile.parse(bytes, fileName: imageName) } catch {
                throw CheckpointError(error, source: images.source.path, member: images.path(of: imageName))
            }
            for (entry, data) in try decoded(PipeData.self, image, bytes, imageName) {
                guard case .bytes(let range)? = entry.extra else { continue }
                let held = holders((kind == .pipe ? pipesByID : fifosByID)[data.pipeID] ?? [])
                let rest = kind == .pipe ? "pipe:[\(data.pipeID)]" : fifosByID[data.pipeID]?.first.flatMap { id -> String? in
                    guard case .fifo(let fifo)? = files[id]?.file, let reg = fifo.regularFileID, case .regular(let r)? = files[reg]?.file else { return nil }
                    return r.name.description
                } ?? "fifo:[\(data.pipeID)]"
                sources.append(InFlightData(
                    id: "\(kind.rawValue):\(data.pipeID)", kind: kind, name: label(kind, held, rest), length: UInt64(range.count), holders: held,
                    image: images.path(of: imageName), entry: entry.index, path: nil, localEndpoint: nil, remoteEndpoint: nil,
                    inode: UInt64(data.pipeID), packets: nil, holes: [], pieces: range.isEmpty ? [] : [imagePiece(imageName, range)]))
            }
        }

        // Socket queues: one source per socket, its messages in order.
        if let bytes = try images.read("sk-queues.img") {
            let imageName = "sk-queues.img"
            let image: ImageFile
            do { image = try ImageFile.parse(bytes, fileName: imageName) } catch {
                throw CheckpointError(error, source: images.source.path, member: images.path(of: imageName))
            }
            var order: [UInt32] = []
            var queued: [UInt32: (entry: Int, pieces: [InFlightData.Piece], length: UInt64, packets: Int)] = [:]
            for (entry, packet) in try decoded(SocketPacket.self, image, bytes, imageName) {
                guard case .bytes(let range)? = entry.extra else { continue }
                if queued[packet.socketID] == nil {
                    order.append(packet.socketID)
                    queued[packet.socketID] = (entry.index, [], 0, 0)
                }
                var q = queued[packet.socketID]!
                if !range.isEmpty { q.pieces.append(imagePiece(imageName, range, at: q.length)) }
                q.length += UInt64(range.count)
                q.packets += 1
                queued[packet.socketID] = q
            }
            for id in order {
                let q = queued[id]!
                let held = holders([id])
                let sk = unixByID[id]
                var rest = sk.map { "socket:[\($0.inode)]" } ?? "file id \(id)"
                if let sk { rest += " (unix \(sk.type == 2 ? "dgram" : sk.type == 5 ? "seqpacket" : "stream"), \(q.packets) message\(q.packets == 1 ? "" : "s"))" }
                let local = sk.flatMap { s -> String? in
                    s.name.isEmpty ? nil : s.isAbstract ? "@" + String(decoding: s.name.dropFirst(), as: UTF8.self) : s.path.description
                }
                sources.append(InFlightData(
                    id: "socket-queue:\(sk.map { String($0.inode) } ?? "id\(id)")", kind: .socketQueue, name: label(.socketQueue, held, rest),
                    length: q.length, holders: held, image: images.path(of: imageName), entry: q.entry, path: nil,
                    localEndpoint: local, remoteEndpoint: sk.flatMap { $0.peer == 0 ? nil : "socket:[\($0.peer)]" },
                    inode: sk.map { UInt64($0.inode) }, packets: q.packets, holes: [], pieces: q.pieces))
            }
        }

        // Ghost files: the remaps that name them give the path and the holders.
        var ghostUsers: [UInt32: [UInt32]] = [:]
        for remap in try images.decode(RemapFilePath.self, "remap-fpath.img") ?? [] where remap.effectiveType == .ghost {
            ghostUsers[remap.remapID & 0x7fff_ffff, default: []].append(remap.originalID)
        }
        let ghostNames = names.compactMap { n -> (UInt32, String)? in
            guard n.hasPrefix("ghost-file-"), n.hasSuffix(".img"), let id = UInt32(n.dropFirst("ghost-file-".count).dropLast(4)) else { return nil }
            return (id, n)
        }.sorted { $0.0 < $1.0 }
        for (ghostID, imageName) in ghostNames {
            guard let bytes = try images.read(imageName, maxBytes: 64 << 20) else { continue }
            let image: ImageFile
            do { image = try ImageFile.parse(bytes, fileName: imageName) } catch {
                throw CheckpointError(error, source: images.source.path, member: images.path(of: imageName))
            }
            guard let (head, ghost) = try decoded(GhostFile.self, image, bytes, imageName).first else { continue }
            var pieces: [InFlightData.Piece] = []
            var holes: [InFlightData.Hole] = []
            var length: UInt64 = 0
            let isRegular = ghost.mode & 0o170000 == 0o100000
            if isRegular, ghost.isChunked == true {
                length = ghost.size ?? 0
                var cursor: UInt64 = 0
                for (entry, chunk) in try decoded(GhostChunk.self, image, bytes, imageName) {
                    guard case .bytes(let range)? = entry.extra, !range.isEmpty, chunk.offset >= cursor else { continue }
                    if chunk.offset > cursor { holes.append(.init(range: cursor..<chunk.offset, reason: .zeroFilled)) }
                    pieces.append(imagePiece(imageName, range, at: chunk.offset))
                    cursor = chunk.offset + UInt64(range.count)
                }
                length = max(length, cursor)
                if cursor < length { holes.append(.init(range: cursor..<length, reason: .zeroFilled)) }
            } else if isRegular, case .bytes(let range)? = head.extra {
                length = UInt64(range.count)
                if !range.isEmpty { pieces.append(imagePiece(imageName, range)) }
            }
            let users = ghostUsers[ghostID] ?? []
            let held = holders(users)
            let path = users.lazy.compactMap { id -> String? in
                if case .regular(let reg)? = self.files[id]?.file { return reg.name.description }
                return nil
            }.first
            sources.append(InFlightData(
                id: "ghost-file:\(ghostID)", kind: .ghostFile, name: label(.ghostFile, held, (path ?? imageName) + " (deleted)"),
                length: length, holders: held, image: images.path(of: imageName), entry: 0, path: path, localEndpoint: nil,
                remoteEndpoint: nil, inode: ghost.inode, packets: nil, holes: holes, pieces: pieces))
        }

        // memfds: their contents are a shared-memory object.
        var memfdFiles: [UInt32: [UInt32]] = [:]
        for (id, entry) in files { if case .memfd(let m) = entry.file { memfdFiles[m.inodeID, default: []].append(id) } }
        for inodeID in memfdInodes.keys.sorted() {
            let inode = memfdInodes[inodeID]!
            let memfdName = inode.name.description
            // Shared anonymous memory is saved as a memfd named /dev/zero (CRIU 3.17+): memory, not a file.
            guard memfdName != "/dev/zero" else { continue }
            let pagemapName = "pagemap-shmem-\(inode.shmid).img"
            let index = try pageIndex(pagemap: pagemapName)
            var pieces: [InFlightData.Piece] = []
            var holes: [InFlightData.Hole] = []
            var cursor: UInt64 = 0
            func hole(to end: UInt64, _ reason: MemoryHole) {
                guard end > cursor else { return }
                if let last = holes.last, last.range.upperBound == cursor, last.reason == reason {
                    holes[holes.count - 1].range = last.range.lowerBound..<end
                } else {
                    holes.append(.init(range: cursor..<end, reason: reason))
                }
                cursor = end
            }
            for run in index?.runs(in: 0..<inode.size) ?? [] where run.pageCount > 0 {
                let start = max(run.start, 0), end = min(run.end(pageSize: facts.pageSize), inode.size)
                guard end > start else { continue }
                hole(to: start, .zeroFilled)
                switch run.location {
                case .file(let file, let offset):
                    pieces.append(.init(position: start, length: end - start, location: .pages(file, offset: offset + (start - run.start))))
                    cursor = end
                case .lazy: hole(to: end, .lazy)
                case .missingParent: hole(to: end, .missingParent)
                case .damaged: hole(to: end, .damaged)
                }
            }
            hole(to: inode.size, .zeroFilled)
            let held = holders(memfdFiles[inodeID] ?? [])
            sources.append(InFlightData(
                id: "memfd:\(inode.shmid)", kind: .memfd, name: label(.memfd, held, "/memfd:" + memfdName), length: inode.size, holders: held,
                image: images.path(of: index == nil ? "memfd.img" : pagemapName), entry: nil, path: "/memfd:" + memfdName,
                localEndpoint: nil, remoteEndpoint: nil, inode: UInt64(inode.shmid), packets: nil, holes: holes, pieces: pieces))
        }
        return sources
    }

    /// Streams the bytes of in-flight sources: `body` gets the index of the source in `sources`,
    /// the offset inside it and the bytes (at most `chunkSize`, valid only during the call). Holes
    /// (``InFlightData/holes``) get no call.
    ///
    /// Plain tars and directories are read by position; a compressed archive is read in **one**
    /// pass for all the sources (memory held: one chunk). Within a source, bytes come in offset
    /// order, except a memfd whose pages lie in several image sets (its parent's pages come last).
    ///
    /// - Throws: ``CheckpointError`` for a read failure, or whatever `body` throws.
    public func streamInFlightData(
        _ sources: [InFlightData], chunkSize: Int = 1 << 20,
        body: (_ index: Int, _ offset: UInt64, _ bytes: UnsafeRawBufferPointer) throws -> Void
    ) throws {
        let sets = imageSets
        let chunk = max(1, chunkSize)
        var all: [(source: Int, piece: InFlightData.Piece)] = []
        for (i, s) in sources.enumerated() { for p in s.pieces { all.append((i, p)) } }
        for set in Set(all.map(\.piece.set)).sorted() {
            guard set < sets.count else { continue }
            let imageSet = sets[set]
            var memberOf: [String: ArchiveMember] = [:]
            func member(_ location: InFlightData.Piece.Location) throws(CheckpointError) -> (String, ArchiveMember, UInt64) {
                let (name, offset): (String, UInt64)
                switch location {
                case .image(_, let n, let o): (name, offset) = (n, o)
                case .pages(let file, let o): (name, offset) = (file.name, o)
                }
                if let known = memberOf[name] { return (name, known, offset) }
                guard let found = try imageSet.member(name) else {
                    throw CheckpointError(.missingImage, source: imageSet.source.path, file: imageSet.path(of: name), message: "the image is missing")
                }
                memberOf[name] = found
                return (name, found, offset)
            }
            let mine = all.filter { $0.piece.set == set }
            if imageSet.source.isSeekable {
                for (index, piece) in mine {
                    let (_, m, offset) = try member(piece.location)
                    var done: UInt64 = 0
                    while done < piece.length {
                        let want = Int(min(UInt64(chunk), piece.length - done))
                        let bytes: [UInt8]
                        do { bytes = try imageSet.source.read(m, at: offset + done, count: want) } catch { throw CheckpointError(error) }
                        guard !bytes.isEmpty else {
                            throw CheckpointError(.inconsistent, source: imageSet.source.path, file: m.path, offset: offset + done,
                                                  message: "the image ends before the data of \(sources[index].id)")
                        }
                        try bytes.withUnsafeBytes { try body(index, piece.position + done, $0) }
                        done += UInt64(bytes.count)
                    }
                }
                continue
            }
            // Compressed: every member needed, in one pass; each chunk handed to the pieces it covers.
            var wanted: [String: [(source: Int, piece: InFlightData.Piece, offset: UInt64)]] = [:]
            for (index, piece) in mine {
                let (name, _, offset) = try member(piece.location)
                wanted[name, default: []].append((index, piece, offset))
            }
            var nameOf: [ArchiveMember: String] = [:]
            for (name, m) in memberOf { nameOf[m] = name }
            var position: [String: UInt64] = [:]
            do {
                try imageSet.source.stream(Array(memberOf.values), chunkSize: chunk) { m, bytes in
                    guard let name = nameOf[m] else { return }
                    let start = position[name] ?? 0
                    let end = start + UInt64(bytes.count)
                    position[name] = end
                    for w in wanted[name] ?? [] where w.offset < end && w.offset + w.piece.length > start {
                        let from = max(w.offset, start), to = min(w.offset + w.piece.length, end)
                        try body(w.source, w.piece.position + (from - w.offset),
                                 UnsafeRawBufferPointer(rebasing: bytes[Int(from - start)..<Int(to - start)]))
                    }
                }
            } catch let error as ArchiveError {
                throw CheckpointError(error)
            }
        }
    }

    /// The bytes of one source, holes read as zeros (``InFlightData/holes`` says where they are).
    ///
    /// - Throws: ``CheckpointError`` with `.inconsistent` when the source is longer than `maxBytes`,
    ///   or a read failure.
    public func readInFlightData(_ source: InFlightData, maxBytes: Int = 256 << 20) throws(CheckpointError) -> [UInt8] {
        guard source.length <= UInt64(max(0, maxBytes)) else {
            throw CheckpointError(.inconsistent, source: path, file: source.image,
                                  message: "\(source.id) is \(source.length) bytes, more than the read limit of \(maxBytes); stream it")
        }
        var bytes = [UInt8](repeating: 0, count: Int(source.length))
        do {
            try streamInFlightData([source]) { _, offset, chunk in
                let start = Int(offset)
                guard start + chunk.count <= bytes.count else { return }
                bytes.withUnsafeMutableBytes { out in
                    out.baseAddress!.advanced(by: start).copyMemory(from: chunk.baseAddress!, byteCount: chunk.count)
                }
            }
        } catch let error as CheckpointError {
            throw error
        } catch {
            throw CheckpointError(.inconsistent, source: path, message: "\(error)")
        }
        return bytes
    }
}
