import CheckpointArchive
public import CRIUImages
internal import Synchronization

/// The serials of ``AddressSpaceCache``s made so far.
private let addressSpaceCacheSerials = Atomic<UInt64>(0)

/// The address spaces a checkpoint has built, by pid (nil: no address space), shared by its copies.
/// At most ``limit`` are kept, so memory does not grow with the number of processes; later ones
/// are built again when asked for.
final class AddressSpaceCache: Sendable {
    static let limit = 64
    /// Never the same for two caches (unlike an object's address, which a later one may reuse):
    /// what a consumer keys the work it did for one checkpoint by.
    let serial = addressSpaceCacheSerials.add(1, ordering: .relaxed).newValue
    private let spaces = Mutex<[UInt32: AddressSpace?]>([:])

    func lookup(_ pid: UInt32) -> AddressSpace?? { spaces.withLock { $0[pid] } }
    func store(_ pid: UInt32, _ space: AddressSpace?) {
        spaces.withLock { if $0.count < Self.limit { $0[pid] = .some(space) } }
    }
}

/// What a VMA is, for reports and filters.
public enum VMAKind: String, Hashable, Sendable, CaseIterable, Codable {
    /// The kinds, as ``AddressSpace/kind(of:)`` assigns them: special areas (`heap`, `stack`, `vdso`, `vvar`,
    /// `vsyscall`, `aio` rings, packet `socket` rings, `guard` ranges), `file` mappings, private `anon` memory,
    /// shared memory (`shmem`, `memfd`, `sysvipc`), and `other`.
    case heap, stack, vdso, vvar, vsyscall, file, anon, shmem, memfd, sysvipc, `guard`, aio, socket, other
    /// A region of a pre-dump: pages CRIU recorded, with no VMA (a pre-dump records no VMAs).
    case preDump = "pre-dump"
}

/// A process's address space: its VMAs and where each dumped page lives.
public struct AddressSpace: Sendable {
    /// The process this address space belongs to.
    public let pid: UInt32
    /// The VMAs, sorted by start; CRIU 4.2's fake guard VMAs are kept apart in ``guardVMAs``.
    public let vmas: [VMA]
    /// CRIU 4.2's fake guard VMAs (MADV_GUARD_INSTALL ranges): they overlap real VMAs and carry no data.
    public let guardVMAs: [VMA]
    /// The process pagemap, parent runs resolved.
    public let pages: PageIndex
    /// Page indexes of the shared-memory objects this process maps, by shmem id.
    public let shared: [UInt64: PageIndex]
    /// The checkpoint's page size (``Checkpoint/Facts/pageSize``), never the host's.
    public let pageSize: UInt64
    /// For each VMA (same order as ``vmas``): the shmem id whose pagemap holds its pages, if it maps shared memory.
    public let sharedIDs: [UInt64?]
    /// For each VMA: the backing file's path, if file-backed.
    public let backingFiles: [String?]
    /// False for a pre-dump, which records pages and no VMAs: ``vmas`` are then the regions its
    /// pagemap covers (kind ``VMAKind/preDump``), and memory outside them is not known.
    public var vmasRecorded: Bool = true

    /// The VMA index containing `address`.
    public func vmaIndex(containing address: UInt64) -> Int? {
        var low = 0, high = vmas.count
        while low < high {
            let mid = (low + high) / 2
            if vmas[mid].start <= address { low = mid + 1 } else { high = mid }
        }
        let i = low - 1
        guard i >= 0, address < vmas[i].end else { return nil }
        return i
    }

    /// The kind of the VMA at `index`.
    public func kind(of index: Int) -> VMAKind {
        vmasRecorded ? Self.kind(of: vmas[index], backingFile: backingFiles[index]) : .preDump
    }

    /// The kind of a VMA recorded in an mm image, mapping `backingFile` (its path, `/memfd:NAME`
    /// for a memfd, as ``backingFiles`` gives it): what ``kind(of:)`` says without an address space.
    public static func kind(of v: VMA, backingFile: String?) -> VMAKind {
        let s = v.status
        if v.isGuard { return .`guard` }
        if s.contains(.vdso) { return .vdso }
        if s.contains(.vvar) { return .vvar }
        if s.contains(.vsyscall) { return .vsyscall }
        if s.contains(.heap) { return .heap }
        if s.contains(.aioRing) { return .aio }
        if s.contains(.socket) { return .socket }
        if s.contains(.sysVIPC) { return .sysvipc }
        if s.contains(.memfd) {
            if let path = backingFile, path.hasPrefix("/memfd:") { return .memfd }
            return .shmem
        }
        if s.contains(.anonymousShared) { return .shmem }
        if v.isFileBacked { return .file }
        if v.flags.contains(.growsDown) { return .stack }
        if s.contains(.anonymousPrivate) { return .anon }
        return .other
    }

    /// The page index and object offset that hold `address` of the VMA at `vmaIndex`.
    func backing(_ vmaIndex: Int, _ address: UInt64) -> (index: PageIndex, key: UInt64, owner: MemoryOwner)? {
        let v = vmas[vmaIndex]
        if let shmid = sharedIDs[vmaIndex] {
            guard let index = shared[shmid] else { return nil }
            return (index, v.pageOffset &+ (address - v.start), .sharedMemory(shmid))
        }
        return (pages, address, .process(pid))
    }
}

/// Whose pagemap a page belongs to.
public enum MemoryOwner: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// A process's own pagemap (`pagemap-<pid>.img`): addresses are virtual addresses.
    case process(UInt32)
    /// A shared-memory object's pagemap (`pagemap-shmem-<id>.img`): addresses are offsets inside the object.
    case sharedMemory(UInt64)

    /// `pid N` or `shmem N`.
    public var description: String {
        switch self {
        case .process(let pid): "pid \(pid)"
        case .sharedMemory(let id): "shmem \(id)"
        }
    }
}

extension Checkpoint {
    /// Builds the page index of one pagemap (`pagemap-<pid>.img` or `pagemap-shmem-<id>.img`) with its
    /// parent runs resolved through every parent image set; nil if the checkpoint has no such pagemap.
    ///
    /// PE_PARENT pages whose parent image set (or its pagemap) is not available are runs located
    /// ``PageLocation/missingParent``: every other page is still indexed.
    ///
    /// - Throws: ``CheckpointError`` naming the image and entry for a pagemap that is damaged, unsorted,
    ///   overlapping, misaligned or runs past its pages file.
    public func pageIndex(pagemap name: String) throws(CheckpointError) -> PageIndex? {
        try pageIndex(pagemap: name, set: 0)
    }

    func pageIndex(pagemap name: String, set: Int) throws(CheckpointError) -> PageIndex? {
        let sets = imageSets
        guard set < sets.count else { return nil }
        let images = sets[set]
        guard let bytes = try images.read(name) else { return nil }
        let pagemap: Pagemap
        do {
            pagemap = try Pagemap.decode(bytes, fileName: name)
        } catch {
            throw CheckpointError(error, source: images.source.path, member: images.path(of: name))
        }
        let pagesName = "pages-\(pagemap.pagesID).img"
        let pagesMember = try images.member(pagesName)
        let raw = try PageIndexBuilder.rawRuns(pagemap, set: set, pageSize: facts.pageSize, pagesFileSize: pagesMember.map { images.source.availableSize(of: $0) },
                                               image: images.path(of: name), source: images.source.path)
        if pagesMember == nil, !isProvisional, raw.contains(where: { $0.kind == .present }) {
            throw CheckpointError(.missingImage, source: images.source.path, file: images.path(of: pagesName),
                                  message: "\(name) has pages in \(pagesName), which is missing")
        }
        // PE_PARENT runs resolve through the parent set; without one (or without its pagemap) they
        // are holes (`missingParent`, reported in ``Checkpoint/missingParents``), never an error.
        var parent: PageIndex?
        if raw.contains(where: { $0.kind == .parent }), set + 1 < sets.count {
            parent = try pageIndex(pagemap: name, set: set + 1)
        }
        return PageIndexBuilder.resolve(raw, set: set, pagesID: pagemap.pagesID, pageSize: facts.pageSize, parent: parent)
    }

    /// The shmem id of the shared-memory object a VMA maps, if it maps one (CRIU-FORMAT.md 3.6).
    public func sharedMemoryID(of vma: VMA) -> UInt64? {
        let s = vma.status
        if s.contains(.memfd) || (s.contains(.fileShared) && !s.contains(.anonymousShared)) {
            guard let entry = files[UInt32(truncatingIfNeeded: vma.shmid)], case .memfd(let memfd) = entry.file else { return nil }
            return memfdInodes[memfd.inodeID].map { UInt64($0.shmid) }
        }
        if s.contains(.anonymousShared) { return vma.shmid }
        return nil
    }

    /// The address space of a process; nil for zombies and processes without `mm-<pid>.img`.
    public func addressSpace(_ pid: UInt32) throws(CheckpointError) -> AddressSpace? {
        // Built once per process: reports, plans and searches ask for the same spaces many times.
        if let known = spaces.lookup(pid) { return known }
        let space = try buildAddressSpace(pid)
        spaces.store(pid, space)
        return space
    }

    /// The address space of a process narrowed to the VMAs that `ranges` touch (every page index
    /// whole): what reading a few ranges needs, without a whole space's VMA tables. The cached whole
    /// space when there is one; a narrow one is not cached.
    func addressSpace(_ pid: UInt32, touching ranges: [Range<UInt64>]) throws(CheckpointError) -> AddressSpace? {
        if let known = spaces.lookup(pid) { return known }
        return try buildAddressSpace(pid, touching: ranges)
    }

    func buildAddressSpace(_ pid: UInt32, touching ranges: [Range<UInt64>]? = nil) throws(CheckpointError) -> AddressSpace? {
        guard let process = process(pid) else { return nil }
        guard let mm = process.memory else {
            guard processTree == .preDump, let pages = try pageIndex(pagemap: "pagemap-\(pid).img") else { return nil }
            // Regions: runs of the pagemap merged where contiguous.
            var regions: [VMA] = []
            for run in pages.runs where run.pageCount > 0 {
                let end = run.end(pageSize: pages.pageSize)
                if let last = regions.last, last.end == run.start { regions[regions.count - 1].end = end }
                else { regions.append(VMA(start: run.start, end: end)) }
            }
            var space = AddressSpace(pid: pid, vmas: regions, guardVMAs: [], pages: pages, shared: [:], pageSize: facts.pageSize,
                                     sharedIDs: regions.map { _ in nil }, backingFiles: regions.map { _ in nil })
            space.vmasRecorded = false
            return space
        }
        let pages = try pageIndex(pagemap: "pagemap-\(pid).img")
            ?? PageIndex(pageSize: facts.pageSize, runs: [])
        var vmas = mm.vmas.filter { vma in
            guard !vma.isGuard else { return false }
            guard let ranges else { return true }
            return ranges.contains { range in vma.start < range.upperBound && range.lowerBound < vma.end }
        }
        vmas.sort { $0.start < $1.start }
        var shared: [UInt64: PageIndex] = [:]
        var sharedIDs: [UInt64?] = []
        var backing: [String?] = []
        var names: [UInt32: String?] = [:]
        backing.reserveCapacity(vmas.count)
        sharedIDs.reserveCapacity(vmas.count)
        for vma in vmas {
            let id = sharedMemoryID(of: vma)
            sharedIDs.append(id)
            if let id, shared[id] == nil {
                shared[id] = try pageIndex(pagemap: "pagemap-shmem-\(id).img") ?? PageIndex(pageSize: facts.pageSize, runs: [])
            }
            var path: String?
            let fileID = UInt32(truncatingIfNeeded: vma.shmid)
            if vma.isFileBacked || vma.status.contains(.memfd) {
                if let known = names[fileID] {
                    path = known  // one string per file, however many VMAs map it
                } else if let entry = files[fileID] {
                    switch entry.file {
                    case .regular(let reg): path = reg.name.description
                    case .memfd(let m):
                        // Shared anonymous memory is stored as a memfd named /dev/zero (CRIU 3.17+).
                        let name = memfdInodes[m.inodeID]?.name.description ?? "?"
                        path = name == "/dev/zero" ? nil : "/memfd:" + name
                    default: break
                    }
                    names[fileID] = path
                }
            }
            backing.append(path)
        }
        return AddressSpace(pid: pid, vmas: vmas, guardVMAs: ranges == nil ? mm.vmas.filter(\.isGuard) : [], pages: pages, shared: shared,
                            pageSize: facts.pageSize, sharedIDs: sharedIDs, backingFiles: backing)
    }
}

extension Checkpoint {
    /// The pagemaps of the checkpoint's own image set: each process's and each shared-memory object's.
    var ownPagemaps: [(owner: MemoryOwner, name: String)] {
        var out: [(MemoryOwner, String)] = processes.map { (.process($0.pid), "pagemap-\($0.pid).img") }
        for name in images.fileNames() where name.hasPrefix("pagemap-shmem-") && name.hasSuffix(".img") {
            if let id = UInt64(name.dropFirst("pagemap-shmem-".count).dropLast(4)) { out.append((.sharedMemory(id), name)) }
        }
        return out
    }

    /// Counts the PE_PARENT pages that no available parent set holds, by owner, and says which parent
    /// is missing (the end of the chain: `link` and `reason` describe it).
    func findMissingParents(link: String?, reason: String) -> [MissingParent] {
        var pages: UInt64 = 0
        var pids: [UInt32] = []
        var shared: [UInt64] = []
        let pagemaps = ownPagemaps
        // Built and dropped (keeping every page index alive at load would grow with the processes),
        // on both processors: each is decoded with its parents'.
        let counts = orderedParallelMap(count: pagemaps.count, workers: parallelWorkers) { [self] i in
            ((try? pageIndex(pagemap: pagemaps[i].name)) ?? nil)?.counts.missingParent ?? 0
        }
        for ((owner, _), missing) in zip(pagemaps, counts) {
            guard missing > 0 else { continue }
            pages += missing
            switch owner {
            case .process(let pid): pids.append(pid)
            case .sharedMemory(let id): shared.append(id)
            }
        }
        guard pages > 0 else { return [] }
        let end = imageSets.last!
        return [MissingParent(imageSet: end.label, link: link, reason: reason, pages: pages, pids: pids, sharedMemory: shared)]
    }
}
