/// Builds the synthetic container: process tree, address spaces, pagemap runs, files, mounts,
/// markers. Everything is a function of the config's seed.
public struct LayoutBuilder {
    let config: GeneratorConfig
    var rng: FastRandom
    var files: [FileSpec] = []
    var nextFileID: UInt32 = 1
    var exeIDs: [String: UInt32] = [:]
    var libIDs: [Int: UInt32] = [:]
    var nextInode: UInt32 = 68_000

    public init(config: GeneratorConfig) {
        self.config = config
        self.rng = FastRandom(seed: config.seed &* 0x9E37_79B9 &+ 17)
    }

    mutating func fileID() -> UInt32 {
        defer { nextFileID += 1 }
        return nextFileID
    }

    mutating func inode() -> UInt32 {
        nextInode += UInt32(rng.int(1...40))
        return nextInode
    }

    mutating func buildID() -> [UInt32] { (0..<5).map { _ in UInt32(truncatingIfNeeded: rng.next()) } }

    mutating func exeFile(_ path: String) -> UInt32 {
        if let id = exeIDs[path] { return id }
        let id = fileID()
        files.append(.reg(id: id, name: path, flags: 0, pos: 0, mntID: 73, size: UInt64(rng.int(200_000...30_000_000)),
                          mode: 0o100755, buildID: buildID()))
        exeIDs[path] = id
        return id
    }

    mutating func libFile(_ k: Int) -> UInt32 {
        if let id = libIDs[k] { return id }
        let id = fileID()
        files.append(.reg(id: id, name: libraryName(k), flags: 0, pos: 0, mntID: 73, size: UInt64(rng.int(20_000...6_000_000)),
                          mode: 0o100644, buildID: buildID()))
        libIDs[k] = id
        return id
    }

    public mutating func build() -> CheckpointLayout {
        let totalPages = max(config.pageCount, 64)
        let totalParent = Int(Double(totalPages) * config.parentFraction)
        let count = max(2, config.processes ?? (totalPages < 16_384 ? 8 : totalPages < 262_144 ? 16 : 32))
        let zombies = min(config.zombies, count - 2)
        let live = count - zombies

        // Processes: 0 = init, 1 = the big JVM, then templates; zombies last.
        var procs: [ProcessSpec] = []
        for i in 0..<count {
            let spec: ProcessSpec
            if i == 0 {
                spec = ProcessSpec(index: i, threadCount: 1, comm: "tini", exe: "/usr/bin/tini",
                                   argv: ["/usr/bin/tini", "--", "/entrypoint.sh"], env: [], budget: 0, parentBudget: 0, libraryCount: 4)
            } else if i == 1 {
                spec = ProcessSpec(index: i, threadCount: rng.int(14...24), comm: "java", exe: "/usr/lib/jvm/java-17-openjdk-amd64/bin/java",
                                   argv: ["java", "-Xmx4g", "-XX:+UseG1GC", "-jar", "/app/service.jar", "--server.port=8080"], env: [],
                                   budget: 0, parentBudget: 0, libraryCount: 48)
            } else if i >= live {
                var z = ProcessSpec(index: i, threadCount: 1, comm: "sh", exe: "/bin/sh", argv: [], env: [], budget: 0, parentBudget: 0, libraryCount: 0)
                z.isZombie = true
                spec = z
            } else {
                let t = templates[(i - 2) % templates.count]
                spec = ProcessSpec(index: i, threadCount: rng.int(t.threads), comm: t.comm, exe: t.exe, argv: t.argv, env: [],
                                   budget: 0, parentBudget: 0, libraryCount: 8)
            }
            procs.append(spec)
        }

        // Budgets: init 0.5 %, JVM 50 % (it absorbs the rounding; 1 GiB of pages in the 2 GiB tier,
        // the size of process the mem dump target is set for), the rest by random weights.
        let initBudget = max(24, totalPages / 200)
        let bigShare = live > 2 ? 0.5 : 1.0
        let others = Array(2..<live)
        let weights = others.map { _ in 0.3 + 1.4 * rng.unit() }
        let weightSum = weights.reduce(0, +)
        let rest = Double(totalPages - initBudget) * (1 - bigShare)
        for (k, i) in others.enumerated() {
            procs[i].budget = max(24, Int(rest * weights[k] / weightSum))
            procs[i].parentBudget = Int(Double(totalParent) * (1 - bigShare) * weights[k] / weightSum)
        }
        procs[0].budget = initBudget
        for i in 0..<live { procs[i].libraryCount = i == 1 ? 48 : i == 0 ? 4 : min(48, max(4, procs[i].budget / 20)) }

        // Tree: parents are earlier processes; the listing is depth-first pre-order (pstree.img order).
        for i in 1..<count {
            if i == 1 || i >= live || i == 2 { procs[i].parentIndex = 0 }
            else { procs[i].parentIndex = rng.chance(0.5) ? 0 : rng.int(1...(i - 1)) }
        }
        var children: [[Int]] = Array(repeating: [], count: count)
        for i in 1..<count { children[procs[i].parentIndex!].append(i) }
        var order: [Int] = []
        func visit(_ i: Int) {
            order.append(i)
            for c in children[i] { visit(c) }
        }
        visit(0)
        var nextPID: UInt32 = 1
        var pidOf: [Int: UInt32] = [:]
        for i in order {
            procs[i].pid = nextPID
            procs[i].threads = (0..<procs[i].threadCount).map { nextPID + UInt32($0) }
            pidOf[i] = nextPID
            nextPID += UInt32(procs[i].threadCount) + UInt32(rng.int(0...5))
        }
        for i in order {
            if let p = procs[i].parentIndex {
                procs[i].ppid = pidOf[p]!
                procs[i].pgid = (p == 0 && rng.chance(0.5)) ? procs[i].pid : procs[p].pgid
            } else {
                procs[i].pgid = 1
            }
            procs[i].sid = 1
        }

        // Shared files: /dev/null, conmon's stdout/stderr pipes.
        let devNull = fileID()
        files.append(.reg(id: devNull, name: "/dev/null", flags: 0o100000, pos: 0, mntID: 75, size: nil, mode: 0o20666, buildID: []))
        let stdoutPipe = fileID(), stderrPipe = fileID()
        files.append(.pipe(id: stdoutPipe, pipeID: inode(), flags: 1))
        files.append(.pipe(id: stderrPipe, pipeID: inode(), flags: 1))

        // Address spaces; the JVM last so that it absorbs the rounding of the other budgets.
        let memoryOrder = order.filter { $0 != 1 && !procs[$0].isZombie } + [1]
        var usedPresent = 0, usedParent = 0
        for i in memoryOrder {
            if i == 1 {
                procs[i].budget = max(64, totalPages - usedPresent)
                procs[i].parentBudget = max(0, totalParent - usedParent)
            }
            buildMemory(&procs[i])
            usedPresent += procs[i].presentPages
            usedParent += procs[i].parentPages
        }

        // Per-process files, ids, pages ids (pstree order).
        var pagesID: UInt32 = 1
        for (position, i) in order.enumerated() {
            procs[i].kobjID = UInt32(position + 2)
            if procs[i].isZombie { continue }
            procs[i].pagesID = pagesID
            pagesID += 1
            procs[i].cwdID = fileID()
            files.append(.reg(id: procs[i].cwdID, name: i == 1 ? "/app" : "/", flags: 0, pos: 0, mntID: 73, size: nil, mode: 0o40755, buildID: []))
            procs[i].rootID = fileID()
            files.append(.reg(id: procs[i].rootID, name: "/", flags: 0, pos: 0, mntID: 73, size: nil, mode: 0o40555, buildID: []))
            buildFiles(&procs[i], devNull: devNull, stdout: stdoutPipe, stderr: stderrPipe)
        }

        // Global ordinals and file positions of every run.
        var presentOrdinal: UInt64 = 0, parentOrdinal: UInt64 = 0
        var reordered: [ProcessSpec] = order.map { procs[$0] }
        for p in reordered.indices where !reordered[p].isZombie {
            var filePage = 0, parentPage = 0
            for r in reordered[p].runs.indices {
                if reordered[p].runs[r].isPresent {
                    reordered[p].runs[r].filePage = filePage
                    reordered[p].runs[r].ordinal = presentOrdinal
                    filePage += reordered[p].runs[r].pages
                    presentOrdinal += UInt64(reordered[p].runs[r].pages)
                } else if reordered[p].runs[r].isParent {
                    reordered[p].runs[r].filePage = parentPage
                    reordered[p].runs[r].ordinal = parentOrdinal
                    parentPage += reordered[p].runs[r].pages
                    parentOrdinal += UInt64(reordered[p].runs[r].pages)
                }
            }
        }
        for p in reordered.indices { reordered[p].index = p }

        // argv/env live in the top page of each stack: pin those pages (never changed in the twin).
        var pinned = Set<UInt64>()
        for p in reordered.indices where !reordered[p].isZombie {
            for plant in reordered[p].plants {
                if let (run, page) = Self.locate(reordered[p].runs, plant.address), run.isPresent {
                    pinned.insert(run.ordinal + UInt64(page))
                    let lastByte = plant.address + UInt64(max(plant.bytes.count, 1)) - 1
                    if let (run2, page2) = Self.locate(reordered[p].runs, lastByte) { pinned.insert(run2.ordinal + UInt64(page2)) }
                }
            }
        }

        let markers = placeMarkers(reordered, totalPresent: Int(presentOrdinal), totalParent: Int(parentOrdinal), pinned: pinned)
        let id = (0..<4).map { _ in String(rng.next() | (1 << 63), radix: 16) }.joined()
        let runID = [8, 4, 4, 4, 12].map { n in String(String(rng.next() | (1 << 63), radix: 16).suffix(n)) }.joined(separator: "-")
        return CheckpointLayout(config: config, processes: reordered, files: files, mounts: Self.mounts(containerID: id),
                                markers: markers, containerID: id, containerName: "bench-\(config.seed)", runID: runID,
                                pinnedOrdinals: pinned, totalPresentPages: Int(presentOrdinal), totalParentPages: Int(parentOrdinal))
    }

    /// The run and page index holding `address`.
    static func locate(_ runs: [RunSpec], _ address: UInt64) -> (RunSpec, Int)? {
        var lo = 0, hi = runs.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if runs[mid].end <= address { lo = mid + 1 } else { hi = mid }
        }
        guard lo < runs.count, runs[lo].vaddr <= address, address < runs[lo].end else { return nil }
        return (runs[lo], Int((address - runs[lo].vaddr) / pageSize))
    }

    // MARK: memory

    mutating func sampleRunLength() -> Int {
        let u = rng.unit()
        if u < 0.6 { return rng.int(1...4) }
        if u < 0.9 { return rng.int(5...32) }
        return rng.int(33...128)
    }

    /// Runs for an anonymous area, at offsets from 0; returns the runs and the area length in pages.
    mutating func areaRuns(present: Int, parent: Int, lazy: Bool, topAligned: Bool = false) -> ([RunSpec], Int) {
        var runs: [RunSpec] = []
        var offset = rng.int(0...8)
        var p = present, q = parent
        var last: UInt32?
        while p + q > 0 {
            let chooseParent = rng.below(p + q) < q
            let len = min(sampleRunLength(), chooseParent ? q : p)
            let flags = chooseParent ? PE.parent : (lazy ? PE.lazy | PE.present : PE.present)
            if let last {
                if last == flags { offset += rng.int(1...32) } else if rng.chance(0.5) { offset += rng.int(1...16) }
            }
            runs.append(RunSpec(vaddr: UInt64(offset) * pageSize, pages: len, flags: flags))
            offset += len
            last = flags
            if chooseParent { q -= len } else { p -= len }
        }
        if !topAligned { offset += rng.int(0...64) }
        return (runs, max(offset, 1))
    }

    mutating func buildMemory(_ proc: inout ProcessSpec) {
        var vmas: [VMASpec] = []
        var runs: [RunSpec] = []
        var fixed = 0
        let exeID = exeFile(proc.exe)
        proc.exeFileID = exeID

        // The executable (PIE): header, text, rodata, relro, data, bss.
        let exeBase: UInt64 = 0x5500_0000_0000 + (UInt64(rng.below(1 << 24)) << 12)
        var cursor = exeBase
        var pgoff: UInt64 = 0
        let textPages = rng.int(16...1024)
        let segments: [(pages: Int, prot: UInt32, present: Int)] = [
            (rng.int(1...8), 1, 0), (textPages, 5, rng.chance(0.3) ? 1 : 0), (rng.int(4...256), 1, 0),
            (rng.int(1...4), 1, -1), (rng.int(1...16), 3, -1),
        ]
        for (k, seg) in segments.enumerated() {
            let end = cursor + UInt64(seg.pages) * pageSize
            vmas.append(VMASpec(start: cursor, end: end, pgoff: pgoff, shmid: UInt64(exeID), prot: seg.prot, flags: MAP_PRIVATE,
                                status: VMA_REGULAR | VMA_FILE_PRIVATE, fdflags: 0))
            let present = seg.present < 0 ? rng.int(1...seg.pages) : seg.present
            if present > 0 {
                let first = k == 1 ? rng.below(seg.pages) : 0
                runs.append(RunSpec(vaddr: cursor + UInt64(first) * pageSize, pages: present, flags: PE.present))
                fixed += present
            }
            if k == 1 { proc.startCode = cursor; proc.endCode = end - UInt64(rng.below(4000)); proc.textStart = cursor }
            if k == 4 { proc.startData = cursor; proc.endData = end - UInt64(rng.below(4000)) }
            cursor = end
            pgoff += UInt64(seg.pages) * pageSize
        }
        let bssPages = rng.int(1...8)
        vmas.append(VMASpec(start: cursor, end: cursor + UInt64(bssPages) * pageSize, prot: 3, flags: MAP_PRIVATE | MAP_ANON,
                            status: VMA_REGULAR | VMA_ANON_PRIVATE))
        let bssPresent = rng.int(1...bssPages)
        runs.append(RunSpec(vaddr: cursor, pages: bssPresent, flags: PE.lazy | PE.present))
        fixed += bssPresent
        cursor += UInt64(bssPages) * pageSize
        proc.startBrk = cursor + (UInt64(rng.below(8192)) << 12)

        // The mmap area, allocated downwards: vdso and vvar at the top, then libraries, then
        // anonymous areas and thread stacks interleaved.
        let mmapTop: UInt64 = 0x7F00_0000_0000 + (UInt64(rng.below(1 << 26)) << 12)
        var down = mmapTop
        vmas.append(VMASpec(start: down - 2 * pageSize, end: down, prot: 5, flags: MAP_PRIVATE | MAP_ANON,
                            status: VMA_REGULAR | VMA_VDSO | VMA_ANON_PRIVATE))
        runs.append(RunSpec(vaddr: down - 2 * pageSize, pages: 2, flags: PE.present))
        fixed += 2
        let vdsoBase = down - 2 * pageSize
        vmas.append(VMASpec(start: down - 6 * pageSize, end: down - 2 * pageSize, prot: 1, flags: MAP_PRIVATE | MAP_ANON,
                            status: VMA_REGULAR | VMA_VVAR | VMA_ANON_PRIVATE, madv: 0x10000))
        down -= 6 * pageSize

        var libs = [0, 1] + (2..<(2 + max(0, proc.libraryCount - 2))).map { $0 }
        libs.swapAt(0, 1)
        for k in libs.prefix(proc.libraryCount) {
            let id = libFile(k)
            let parts: [(pages: Int, prot: UInt32, present: Int)] = [
                (rng.int(1...16), 1, 0), (rng.int(8...512), 5, 0), (rng.int(2...128), 1, 0),
                (rng.int(1...4), 1, 1), (rng.int(1...4), 3, -1),
            ]
            let bss = rng.chance(0.5) ? rng.int(1...16) : 0
            let total = parts.reduce(0) { $0 + $1.pages } + bss
            down -= UInt64(total + rng.int(0...16)) * pageSize
            var at = down
            var off: UInt64 = 0
            for part in parts {
                vmas.append(VMASpec(start: at, end: at + UInt64(part.pages) * pageSize, pgoff: off, shmid: UInt64(id), prot: part.prot,
                                    flags: MAP_PRIVATE, status: VMA_REGULAR | VMA_FILE_PRIVATE, fdflags: 0))
                let present = part.present < 0 ? rng.int(1...part.pages) : part.present
                if present > 0 {
                    runs.append(RunSpec(vaddr: at, pages: present, flags: PE.present))
                    fixed += present
                }
                at += UInt64(part.pages) * pageSize
                off += UInt64(part.pages) * pageSize
            }
            if bss > 0 {
                vmas.append(VMASpec(start: at, end: at + UInt64(bss) * pageSize, prot: 3, flags: MAP_PRIVATE | MAP_ANON,
                                    status: VMA_REGULAR | VMA_ANON_PRIVATE))
                runs.append(RunSpec(vaddr: at, pages: 1, flags: PE.lazy | PE.present))
                fixed += 1
            }
        }

        // Main stack with argv/env at the top.
        let stackTop: UInt64 = 0x7FFC_0000_0000 + (UInt64(rng.below(1 << 20)) << 12)
        let stackPresent = rng.int(2...12)
        let stackPages = max(33, stackPresent + rng.int(0...64))
        vmas.append(VMASpec(start: stackTop - UInt64(stackPages) * pageSize, end: stackTop, prot: 3,
                            flags: MAP_PRIVATE | MAP_ANON | MAP_GROWSDOWN, status: VMA_REGULAR | VMA_ANON_PRIVATE))
        runs.append(RunSpec(vaddr: stackTop - UInt64(stackPresent) * pageSize, pages: stackPresent, flags: PE.lazy | PE.present))
        fixed += stackPresent
        proc.env = [
            "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm", "container=podman",
            "HOSTNAME=bench", "HOME=/root", "BENCH_PROCESS=\(proc.comm)-\(proc.index)",
        ]
        var argvBytes: [UInt8] = [], envBytes: [UInt8] = []
        for a in proc.argv { argvBytes += Array(a.utf8); argvBytes.append(0) }
        for e in proc.env { envBytes += Array(e.utf8); envBytes.append(0) }
        proc.envEnd = stackTop - 16 - UInt64(proc.exe.utf8.count + 1)
        proc.envStart = proc.envEnd - UInt64(envBytes.count)
        proc.argEnd = proc.envStart
        proc.argStart = proc.argEnd - UInt64(argvBytes.count)
        proc.plants = [Plant(address: proc.argStart, bytes: argvBytes + envBytes),
                       Plant(address: proc.envEnd, bytes: Array(proc.exe.utf8) + [0])]
        proc.startStack = (proc.argStart & ~0xF) - 0x200
        proc.stackPointers = [proc.startStack - UInt64(rng.int(0x40...0x400)) * 16]

        // Thread stacks (guard page + 8 MiB) and anonymous areas share the rest of the budget.
        let threadItems = max(0, proc.threadCount - 1)
        let threadPresent = (0..<threadItems).map { _ in rng.int(1...3) }
        let remaining = max(8, proc.budget - fixed - threadPresent.reduce(0, +))
        let heapShare = 0.1 + 0.2 * rng.unit()
        let heapPresent = max(1, Int(Double(remaining) * heapShare))
        let areaCount = min(64, max(1, (remaining - heapPresent) / 256))
        let areaWeights = (0..<areaCount).map { _ in 0.2 + rng.unit() }
        let areaWeightSum = areaWeights.reduce(0, +)
        var areaPresent = areaWeights.map { Int(Double(remaining - heapPresent) * $0 / areaWeightSum) }
        areaPresent[0] += (remaining - heapPresent) - areaPresent.reduce(0, +)
        let parentTotal = proc.parentBudget
        let heapParent = Int(Double(parentTotal) * heapShare)
        var areaParent = areaWeights.map { Int(Double(parentTotal - heapParent) * $0 / areaWeightSum) }
        areaParent[0] += (parentTotal - heapParent) - areaParent.reduce(0, +)

        // Heap.
        let (heapRuns, heapLength) = areaRuns(present: heapPresent, parent: heapParent, lazy: true)
        vmas.append(VMASpec(start: proc.startBrk, end: proc.startBrk + UInt64(heapLength) * pageSize, prot: 3,
                            flags: MAP_PRIVATE | MAP_ANON, status: VMA_REGULAR | VMA_AREA_HEAP | VMA_ANON_PRIVATE))
        runs += heapRuns.map { var r = $0; r.vaddr += proc.startBrk; return r }
        proc.brk = proc.startBrk + UInt64(heapLength) * pageSize

        enum Item { case area(Int), thread(Int) }
        var items: [Item] = (0..<areaCount).map { .area($0) } + (0..<threadItems).map { .thread($0) }
        for k in stride(from: items.count - 1, to: 0, by: -1) { items.swapAt(k, rng.below(k + 1)) }
        for item in items {
            switch item {
            case .area(let a):
                let (areaRunList, length) = areaRuns(present: areaPresent[a], parent: areaParent[a], lazy: true)
                down -= UInt64(length + rng.int(1...16)) * pageSize
                vmas.append(VMASpec(start: down, end: down + UInt64(length) * pageSize, prot: 3, flags: MAP_PRIVATE | MAP_ANON,
                                    status: VMA_REGULAR | VMA_ANON_PRIVATE, madv: rng.chance(0.1) ? 1 << 14 : nil))
                runs += areaRunList.map { var r = $0; r.vaddr += down; return r }
            case .thread(let t):
                let size = 2048
                let present = threadPresent[t]
                down -= UInt64(size + 1 + rng.int(0...4)) * pageSize
                vmas.append(VMASpec(start: down, end: down + pageSize, prot: 0, flags: MAP_PRIVATE | MAP_ANON,
                                    status: VMA_REGULAR | VMA_ANON_PRIVATE))
                let top = down + UInt64(size + 1) * pageSize
                vmas.append(VMASpec(start: down + pageSize, end: top, prot: 3, flags: MAP_PRIVATE | MAP_ANON,
                                    status: VMA_REGULAR | VMA_ANON_PRIVATE))
                runs.append(RunSpec(vaddr: top - UInt64(present) * pageSize, pages: present, flags: PE.lazy | PE.present))
                proc.stackPointers.append(top - UInt64(rng.int(0x10...0x100)) * 16)
            }
        }

        // vsyscall (no REGULAR bit, never dumped).
        vmas.append(VMASpec(start: 0xFFFF_FFFF_FF60_0000, end: 0xFFFF_FFFF_FF60_1000, prot: 4, flags: MAP_PRIVATE | MAP_ANON,
                            status: VMA_VSYSCALL | VMA_ANON_PRIVATE))
        vmas.sort { $0.start < $1.start }
        runs.sort { $0.vaddr < $1.vaddr }
        proc.vmas = vmas
        proc.runs = runs
        _ = vdsoBase
    }

    // MARK: files

    mutating func buildFiles(_ proc: inout ProcessSpec, devNull: UInt32, stdout: UInt32, stderr: UInt32) {
        var fds = [FDSpec(fd: 0, fileID: devNull, type: 1), FDSpec(fd: 1, fileID: stdout, type: 2), FDSpec(fd: 2, fileID: stderr, type: 2)]
        var next: UInt32 = 3
        func add(_ file: FileSpec, cloexec: Bool = false) {
            files.append(file)
            fds.append(FDSpec(fd: next, fileID: file.id, type: file.type, flags: cloexec ? 1 : 0))
            next += 1
        }
        let extra = proc.index == 0 ? 1 : rng.int(3...24)
        for k in 0..<extra {
            let roll = rng.below(10)
            if roll < 4 {
                let size = UInt64(rng.int(0...50_000_000))
                let names = ["/var/log/\(proc.comm)/\(proc.comm)-\(k).log", "/data/\(proc.comm)/segment-\(padded(k, 5)).db",
                             "/tmp/.\(proc.comm)-\(proc.pid)-\(k).lock", "/app/lib/module-\(k).jar"]
                let which = rng.below(names.count)
                add(.reg(id: fileID(), name: names[which], flags: which == 0 ? 0o102001 : which == 1 ? 0o100002 : 0o100000,
                         pos: which == 0 ? size : UInt64(rng.below(Int(size) + 1)), mntID: which == 1 ? 85 : 73, size: size,
                         mode: 0o100644, buildID: []), cloexec: rng.chance(0.7))
            } else if roll < 6 {
                let pipeID = inode()
                add(.pipe(id: fileID(), pipeID: pipeID, flags: 0), cloexec: true)
                add(.pipe(id: fileID(), pipeID: pipeID, flags: 1), cloexec: true)
            } else if roll < 8 {
                let a = inode(), b = inode()
                add(.unix(id: fileID(), ino: a, type: 1, state: 1, peer: b, name: [], backlog: 0, flags: 2), cloexec: true)
                add(.unix(id: fileID(), ino: b, type: 1, state: 1, peer: a, name: [], backlog: 0, flags: 2), cloexec: true)
            } else if roll < 9 {
                if rng.chance(0.5) {
                    add(.inet(id: fileID(), ino: inode(), family: 2, type: 1, proto: 6, state: 10, srcPort: UInt32(8000 + proc.index * 10 + k % 10),
                              dstPort: 0, srcAddr: 0, dstAddr: 0, backlog: 128, flags: 2), cloexec: true)
                } else {
                    add(.inet(id: fileID(), ino: inode(), family: 2, type: 2, proto: 17, state: 7, srcPort: UInt32(20000 + rng.below(40000)),
                              dstPort: 0, srcAddr: 0x0100_007F, dstAddr: 0, backlog: 0, flags: 2), cloexec: true)
                }
            } else {
                if rng.chance(0.5) {
                    add(.unix(id: fileID(), ino: inode(), type: 1, state: 10, peer: 0, name: Array("/run/\(proc.comm)-\(proc.pid).sock".utf8),
                              backlog: 4096, flags: 2), cloexec: true)
                } else {
                    add(.eventfd(id: fileID(), counter: UInt64(rng.below(16))), cloexec: true)
                }
            }
        }
        proc.fds = fds
    }

    // MARK: markers

    mutating func placeMarkers(_ procs: [ProcessSpec], totalPresent: Int, totalParent: Int, pinned: Set<UInt64>) -> [MarkerRecord] {
        let total = config.markers ?? max(16, totalPresent / 256)
        let parentCount = totalParent > 0 ? max(2, total / 8) : 0
        // Flat run tables for ordinal -> (process, run).
        var presentTable: [(ordinal: UInt64, p: Int, r: Int)] = []
        var parentTable: [(ordinal: UInt64, p: Int, r: Int)] = []
        for (p, proc) in procs.enumerated() {
            for (r, run) in proc.runs.enumerated() {
                if run.isPresent { presentTable.append((run.ordinal, p, r)) } else if run.isParent { parentTable.append((run.ordinal, p, r)) }
            }
        }
        func find(_ table: [(ordinal: UInt64, p: Int, r: Int)], _ ordinal: UInt64) -> (Int, Int) {
            var lo = 0, hi = table.count
            while hi - lo > 1 {
                let mid = (lo + hi) / 2
                if table[mid].ordinal <= ordinal { lo = mid } else { hi = mid }
            }
            return (table[lo].p, table[lo].r)
        }
        var used: Set<UInt64> = pinned
        var usedParent = Set<UInt64>()
        var markers: [MarkerRecord] = []
        for n in 0..<total {
            let isParent = n < parentCount
            let space = isParent ? totalParent : totalPresent
            guard space > 0 else { continue }
            let text = "BENCH-MARKER-" + padded(n, 6)
            var attempts = 0
            while attempts < 1000 {
                attempts += 1
                let ordinal = UInt64(rng.below(space))
                if isParent ? usedParent.contains(ordinal) : used.contains(ordinal) { continue }
                let (p, r) = find(isParent ? parentTable : presentTable, ordinal)
                let run = procs[p].runs[r]
                let pageInRun = Int(ordinal - run.ordinal)
                var straddle = n % 8 == 7 && pageInRun + 1 < run.pages
                if straddle && (isParent ? usedParent.contains(ordinal + 1) : used.contains(ordinal + 1)) { straddle = false }
                let offset = straddle ? 4096 - 7 : rng.below(4096 - text.utf8.count)
                if isParent {
                    usedParent.insert(ordinal)
                    if straddle { usedParent.insert(ordinal + 1) }
                } else {
                    used.insert(ordinal)
                    if straddle { used.insert(ordinal + 1) }
                }
                let address = run.vaddr + UInt64(pageInRun) * pageSize + UInt64(offset)
                let fileOffset = UInt64(run.filePage + pageInRun) * pageSize + UInt64(offset)
                let pagesFile = (isParent ? "pre-checkpoint/" : "checkpoint/") + "pages-\(procs[p].pagesID).img"
                markers.append(MarkerRecord(index: n, text: text, pid: procs[p].pid, address: address, addressHex: hex(address),
                                            location: isParent ? "parent" : "present", pagesFile: pagesFile, fileOffset: fileOffset,
                                            straddlesPages: straddle, ordinals: straddle ? [ordinal, ordinal + 1] : [ordinal]))
                break
            }
        }
        return markers
    }

    // MARK: mounts

    static func mounts(containerID: String) -> [MountSpec] {
        let dev = { (major: UInt32, minor: UInt32) in major << 20 | minor }
        let overlay = "lowerdir=/var/lib/containers/storage/overlay/l/BENCHLOWER1:/var/lib/containers/storage/overlay/l/BENCHLOWER2,"
            + "upperdir=/var/lib/containers/storage/overlay/\(containerID.prefix(32))/diff,"
            + "workdir=/var/lib/containers/storage/overlay/\(containerID.prefix(32))/work"
        let userdata = "/var/lib/containers/storage/overlay-containers/\(containerID)/userdata"
        var list: [MountSpec] = [
            MountSpec(fstype: 17, mntID: 73, rootDev: dev(0, 40), parentMntID: 48, flags: 0x200000, root: "/", mountpoint: "/", source: "overlay", options: overlay),
            MountSpec(fstype: 1, mntID: 74, rootDev: dev(0, 43), parentMntID: 73, flags: 0x20000e, root: "/", mountpoint: "/proc", source: "proc", options: ""),
            MountSpec(fstype: 5, mntID: 75, rootDev: dev(0, 44), parentMntID: 73, flags: 0x100000a, root: "/", mountpoint: "/dev", source: "tmpfs", options: "size=65536k,mode=755"),
            MountSpec(fstype: 2, mntID: 76, rootDev: dev(0, 45), parentMntID: 73, flags: 0x20000f, root: "/", mountpoint: "/sys", source: "sysfs", options: "", sbFlags: 1),
            MountSpec(fstype: 6, mntID: 77, rootDev: dev(0, 46), parentMntID: 75, flags: 0x20000a, root: "/", mountpoint: "/dev/pts", source: "devpts", options: "gid=5,mode=620,ptmxmode=666,newinstance"),
            MountSpec(fstype: 14, mntID: 78, rootDev: dev(0, 42), parentMntID: 75, flags: 0x20000e, root: "/", mountpoint: "/dev/mqueue", source: "mqueue", options: ""),
            MountSpec(fstype: 0, mntID: 79, rootDev: dev(254, 0), parentMntID: 73, flags: 0x200000, root: userdata + "/.containerenv", mountpoint: "/run/.containerenv", source: "/dev/vda", options: "discard", extKey: "/run/.containerenv"),
            MountSpec(fstype: 0, mntID: 80, rootDev: dev(254, 0), parentMntID: 73, flags: 0x200000, root: userdata + "/hostname", mountpoint: "/etc/hostname", source: "/dev/vda", options: "discard", extKey: "/etc/hostname"),
            MountSpec(fstype: 0, mntID: 81, rootDev: dev(254, 0), parentMntID: 73, flags: 0x200000, root: userdata + "/hosts", mountpoint: "/etc/hosts", source: "/dev/vda", options: "discard", extKey: "/etc/hosts"),
            MountSpec(fstype: 5, mntID: 82, rootDev: dev(0, 39), parentMntID: 75, flags: 0x20000e, root: "/", mountpoint: "/dev/shm", source: "shm", options: "size=64000k", extKey: "/dev/shm"),
            MountSpec(fstype: 23, mntID: 83, rootDev: dev(0, 29), parentMntID: 76, flags: 0x20000f, root: "/", mountpoint: "/sys/fs/cgroup", source: "cgroup2", options: ""),
            MountSpec(fstype: 0, mntID: 84, rootDev: dev(254, 0), parentMntID: 73, flags: 0x200000, root: userdata + "/resolv.conf", mountpoint: "/etc/resolv.conf", source: "/dev/vda", options: "discard", extKey: "/etc/resolv.conf"),
            MountSpec(fstype: 0, mntID: 85, rootDev: dev(254, 0), parentMntID: 73, flags: 0x200000, root: "/var/lib/containers/storage/volumes/benchdata/_data", mountpoint: "/data", source: "/dev/vda", options: "discard", extKey: "/data"),
            MountSpec(fstype: 5, mntID: 86, rootDev: dev(0, 48), parentMntID: 74, flags: 0x200001, root: "/", mountpoint: "/proc/acpi", source: "tmpfs", options: "", sbFlags: 1),
            MountSpec(fstype: 5, mntID: 87, rootDev: dev(0, 44), parentMntID: 74, flags: 0x100000a, root: "/null", mountpoint: "/proc/kcore", source: "tmpfs", options: "size=65536k,mode=755", extKey: "/dev/null"),
            MountSpec(fstype: 1, mntID: 88, rootDev: dev(0, 43), parentMntID: 74, flags: 0x20000f, root: "/sys", mountpoint: "/proc/sys", source: "proc", options: ""),
            MountSpec(fstype: 1, mntID: 89, rootDev: dev(0, 43), parentMntID: 74, flags: 0x20000f, root: "/irq", mountpoint: "/proc/irq", source: "proc", options: ""),
        ]
        list.reverse()
        return list
    }

    /// tmpfs mounts CRIU dumps as `tmpfs-dev-<s_dev>.tar.gz.img`.
    static let tmpfsDevices: [UInt32] = [44, 48]
}

let VMA_AREA_HEAP = VMA_HEAP
