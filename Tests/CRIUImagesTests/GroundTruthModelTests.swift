import Foundation
import Testing
import CRIUImages

/// Typed models against what is known about the fixtures (Fixtures/notes, crit-x, crit-json).
@Suite struct GroundTruthModelTests {
    static func entries<T: ImageMessage>(_ type: T.Type, _ relative: String) throws -> [T] {
        try decodeEntries(type, from: Fixtures.bytes(relative), fileName: (relative as NSString).lastPathComponent)
    }

    static func entry<T: ImageMessage>(_ type: T.Type, _ relative: String) throws -> T {
        try decodeEntry(type, from: Fixtures.bytes(relative), fileName: (relative as NSString).lastPathComponent)
    }

    @Test func procTreeHasFiveProcessesAndSevenTasks() throws {
        let tree = try Self.entries(ProcessTreeEntry.self, "raw/proc-tree/pstree.img")
        #expect(tree.count == 5)
        #expect(tree.reduce(0) { $0 + $1.threads.count } == 7)
        #expect(tree.map(\.pid) == [28759, 28762, 28763, 28764, 28767])
        #expect(tree.map(\.parentPID) == [0, 28759, 28759, 28759, 28764])
        #expect(tree[2].threads == [28763, 28765, 28766])
        #expect(tree.allSatisfy { $0.processGroupID == 28759 && $0.sessionID == 28759 })
    }

    @Test func procTreeCoresOfLeaderAndThread() throws {
        let leader = try Self.entry(Core.self, "raw/proc-tree/core-28763.img")
        #expect(leader.architecture == .x86_64)
        #expect(leader.task?.state == .alive)
        #expect(leader.task?.comm == "threads")
        #expect(leader.thread != nil)
        let thread = try Self.entry(Core.self, "raw/proc-tree/core-28765.img")
        #expect(thread.task == nil, "a non-leader thread's core has no task_core_entry")
        #expect(thread.thread?.comm == "threads")
        guard case .x86_64(let regs)? = thread.registers else {
            Issue.record("expected x86_64 registers, got \(String(describing: thread.registers))")
            return
        }
        #expect(regs.mode == .native)
        #expect(regs.ip != 0 && regs.sp != 0)
        #expect(thread.registers?.instructionPointer == regs.ip)
    }

    @Test func markerStaticCore() throws {
        let core = try Self.entry(Core.self, "raw/marker-static/core-28716.img")
        let task = try #require(core.task)
        #expect(task.comm.string == "marker")
        #expect(task.state == .alive && !task.state.isZombie)
        #expect(task.signalActions.count == 62)
        #expect(task.resourceLimits?.count == 16)
        #expect(task.resourceLimits?[7].current == 20000 && task.resourceLimits?[7].maximum == 20000)
        #expect(task.loginUID == 4_294_967_295)
        #expect(task.oomScoreAdjust == 0)
        let creds = try #require(core.thread?.credentials)
        // cap_eff words [0xfeffffff, 0x1ff] as crit prints them.
        #expect(creds.effective == CapabilitySet(rawValue: 0x1ff_feff_ffff))
        #expect(creds.effective?.words == [4_278_190_079, 511])
        #expect(creds.effective?.contains(capability: 21) == true)
        #expect(creds.effective?.contains(capability: 24) == false)
        guard case .x86_64(let regs)? = core.registers else {
            Issue.record("expected x86_64 registers")
            return
        }
        #expect(regs.ip == 0x43824e)
        #expect(regs.mode == .native)
        #expect(regs.generalRegisters.count == 27)
        #expect(regs.hasXSave)
    }

    @Test func markerStaticMemory() throws {
        let mm = try Self.entry(MemoryMap.self, "raw/marker-static/mm-28716.img")
        #expect(mm.pageSize == 4096)
        #expect(mm.auxiliaryVector.first == AuxiliaryVectorEntry(type: 33, value: 140_207_364_112_384))
        #expect(mm.exeFileID == 1)
        #expect(mm.dumpable == 1)
        #expect(mm.thpDisabled == false)
        let vma = try #require(mm.vmas.first { $0.start == 0x1000_0000 })
        #expect(vma.end == 0x1000_4000)
        #expect(vma.size == 0x4000)
        #expect(vma.permissions == "rw-p")
        #expect(vma.protection == [.read, .write])
        #expect(vma.flags == [.private, .anonymous])
        #expect(vma.status == [.regular, .anonymousPrivate])
        #expect(vma.isRegular && vma.isAnonymousPrivate && !vma.isFileBacked && !vma.isGuard)
        #expect(vma.fd == -1)
        #expect(vma.pageOffset == 0 && vma.shmid == 0)
        #expect(mm.vmas.contains { $0.status.contains(.vdso) })
        #expect(mm.vmas.contains { $0.status.contains(.heap) })
    }

    @Test func pagemapOfCRIU42UsesField5() throws {
        let pagemap = try Pagemap.decode(try Fixtures.bytes("raw/marker-static/pagemap-28716.img"), fileName: "pagemap-28716.img")
        #expect(pagemap.pagesID == 1)
        #expect(pagemap.entries.count == 8)
        #expect(pagemap.entries.allSatisfy { $0.compatPageCount == 0 && $0.pageCount != nil && $0.inParent == nil })
        #expect(pagemap.entries[0] == PagemapEntry(vaddr: 0x401000, compatPageCount: 0, flags: .present, pageCount: 1))
        #expect(pagemap.entries[1].effectivePageCount == 5)
        // Every page listed as present is in pages-1.img.
        let pagesSize = try Fixtures.bytes("raw/marker-static/pages-1.img").count
        #expect(pagemap.presentPageCount * 4096 == UInt64(pagesSize))
    }

    @Test func incrementalDumpPointsAtItsParent() throws {
        let pagemap = try Pagemap.decode(try Fixtures.bytes("raw/incremental/dump/pagemap-29076.img"), fileName: "pagemap-29076.img")
        #expect(pagemap.entries[0].effectiveFlags == .parent)
        #expect(pagemap.entries.contains { $0.vaddr == 0x1000_0000 && $0.effectiveFlags == .parent && $0.effectivePageCount == 4 })
        let preDump = try Self.entry(Inventory.self, "raw/incremental/pre1/inventory.img")
        #expect(preDump.imageVersion == 0)
        #expect(preDump.preDumpMode == 1)
        #expect(preDump.plugins == [], "pre-dump inventory has an empty plugins_entry")
        #expect(preDump.fdinfoPerID == nil)
        let dump = try Self.entry(Inventory.self, "raw/incremental/dump/inventory.img")
        #expect(dump.imageVersion == 2 && dump.fdinfoPerID == true && dump.namespacesPerID == true)
        #expect(dump.lsmType == LSMType.none)
        #expect(dump.rootIDs?.timeNamespaceID == 5)
        #expect(dump.dumpRunID == "fdd44fdc-ce2b-4fb3-a89b-b8835f9b53fb")
    }

    @Test func fdsSocketsFileKinds() throws {
        let files = try Self.entries(FileEntry.self, "raw/fds-sockets/files.img")
        #expect(files.count == 33)
        #expect(files.allSatisfy { $0.file.id == $0.id })
        var kinds: [FileDescriptorType: Int] = [:]
        for f in files { kinds[f.type, default: 0] += 1 }
        #expect(kinds == [.regular: 14, .memfd: 3, .pipe: 2, .unixSocket: 5, .inetSocket: 4, .eventfd: 1,
                          .timerfd: 1, .inotify: 1, .signalfd: 1, .eventpoll: 1])
        func file(_ id: UInt32) -> FileDescription? { files.first { $0.id == id }?.file }

        guard case .eventfd(let efd)? = file(24) else { Issue.record("id 24 is not an eventfd"); return }
        #expect(efd.counter == 42)
        #expect(efd.flags == 0o4002, "O_RDWR | O_NONBLOCK")

        guard case .timerfd(let tfd)? = file(25) else { Issue.record("id 25 is not a timerfd"); return }
        #expect(tfd.clockID == 1, "CLOCK_MONOTONIC")
        #expect(tfd.intervalSeconds == 1000 && tfd.intervalNanoseconds == 0)
        #expect(tfd.valueSeconds == 498)

        guard case .signalfd(let sfd)? = file(27) else { Issue.record("id 27 is not a signalfd"); return }
        #expect(sfd.signalMask == 0xa00, "SIGUSR1 | SIGUSR2")

        guard case .eventpoll(let epoll)? = file(28) else { Issue.record("id 28 is not an epoll"); return }
        #expect(epoll.targets.map(\.fd) == [18, 14, 7])
        #expect(epoll.targets.map(\.data) == [0x1111, 0x3333, 0x2222])

        guard case .inotify(let inotify)? = file(26) else { Issue.record("id 26 is not an inotify"); return }
        #expect(inotify.watches.count == 2)
        let hostname = try #require(inotify.watches.first { $0.handle.path == "/etc/hostname" })
        #expect(hostname.mask == 0x6, "IN_MODIFY | IN_ATTRIB")
        #expect(hostname.device == 254 << 20)
        #expect(inotify.watches.contains { $0.handle.path == "/tmp/fxrun/fdswork" && $0.mask == 0x300 })

        guard case .memfd(let memfd)? = file(29) else { Issue.record("id 29 is not a memfd"); return }
        #expect(memfd.inodeID == 1 && memfd.position == 18)
        let inodes = try Self.entries(MemFDInode.self, "raw/fds-sockets/memfd.img")
        #expect(inodes.map(\.name) == ["ckpt-memfd", "/dev/zero"])
        #expect(inodes[0].size == 18 && inodes[0].shmid == 161 && inodes[0].seals == .seal && inodes[0].inodeID == 1)

        let inet = files.compactMap { if case .inetSocket(let s) = $0.file { s } else { nil } }
        let listener = try #require(inet.first { $0.state == 10 })
        #expect(listener.sourcePort == 47001 && listener.protocolNumber == 6 && listener.backlog == 8)
        #expect(listener.sourceAddress?.description == "127.0.0.1")
        #expect(listener.destinationAddress?.description == "0.0.0.0")
        #expect(listener.tcpOptions?.keepIdle == 7200)
        let established = inet.filter { $0.state == 1 }
        #expect(Set(established.map { [$0.sourcePort, $0.destinationPort] }) == [[44724, 47001], [47001, 44724]])
        #expect(established.allSatisfy { $0.destinationAddress?.description == "127.0.0.1" })
        let udp = try #require(inet.first { $0.protocolNumber == 17 })
        #expect(udp.sourcePort == 47002 && udp.type == 2 && udp.state == 7)

        let unix = files.compactMap { if case .unixSocket(let s) = $0.file { s } else { nil } }
        let unixListener = try #require(unix.first { $0.state == 10 })
        #expect(unixListener.name == Array("listen.sock\0".utf8))
        #expect(unixListener.path == "listen.sock" && !unixListener.isAbstract)
        #expect(unixListener.nameDirectory == "/tmp/fxrun/fdswork")
        #expect(unixListener.backlog == 4)
        #expect(unixListener.mountID == -1, "mnt_id absent: proto2 default")
        let pair = unix.filter { $0.inode == 46836 || $0.inode == 46837 }
        #expect(pair.count == 2 && pair.allSatisfy { $0.type == 1 && $0.state == 1 })
        #expect(Set(pair.map(\.peer)) == [46836, 46837])
        #expect(unix.filter { $0.type == 2 }.count == 2)

        let pipes = files.compactMap { if case .pipe(let p) = $0.file { p } else { nil } }
        #expect(pipes.map(\.pipeID) == [46835, 46835] && pipes.map(\.flags) == [0, 1])

        let regular = files.compactMap { if case .regular(let r) = $0.file { r } else { nil } }
        let rw = try #require(regular.first { $0.name == "/tmp/fxrun/fdswork/regular.txt" && $0.position == 7 })
        #expect(rw.size == 210 && rw.mode == 0o100644)
        #expect(regular.contains { $0.name == "/etc/hostname" })
        #expect(regular.first { $0.name == "/usr/lib/x86_64-linux-gnu/libc.so.6" }?.buildID.count == 5)
    }

    @Test func fdsSocketsFdTable() throws {
        let fds = try Self.entries(FileDescriptorInfo.self, "raw/fds-sockets/fdinfo-2.img")
        #expect(fds.count == 26)
        #expect(fds.map(\.fd) == Array(0...25))
        #expect(fds[18].type == .eventfd && fds[18].id == 24)
        #expect(fds[22].type == .eventpoll && fds[23].type == .memfd)
        #expect(fds.filter { $0.type == .unixSocket }.map(\.fd) == [9, 10, 11, 12, 13])
    }

    @Test func fdsSocketsPayloadImages() throws {
        let stream = try Self.entry(TCPStream.self, "raw/fds-sockets/tcp-stream-b6fa.img")
        #expect(stream.receiveQueueLength == 20 && stream.sendQueueLength == 0)
        #expect(stream.optionMask == 0x7 && stream.mssClamp == 65495)
        #expect(stream.receiveWindowScale == 10 && stream.cork == nil)
        let packets = try Self.entries(SocketPacket.self, "raw/fds-sockets/sk-queues.img")
        #expect(packets.map(\.socketID) == [16, 17] && packets.map(\.length) == [20, 17])
        let pipeData = try Self.entries(PipeData.self, "raw/fds-sockets/pipes-data.img")
        #expect(pipeData.count == 1 && pipeData[0].pipeID == 46835 && pipeData[0].byteCount == 19 && pipeData[0].pipeSize == 65536)
        let remaps = try Self.entries(RemapFilePath.self, "raw/fds-sockets/remap-fpath.img")
        #expect(remaps.count == 1 && remaps[0].originalID == 12 && remaps[0].type == .ghost && remaps[0].effectiveType == .ghost)
        let ghost = try Self.entry(GhostFile.self, "raw/fds-sockets/ghost-file-1.img")
        #expect(ghost.mode == 0o100640 && ghost.isChunked == nil && ghost.modificationTime != nil)
        let stats = try Self.entry(Stats.self, "raw/fds-sockets/stats-dump")
        #expect(stats.restore == nil)
        #expect(stats.dump?.pagesWritten == 29 && stats.dump?.pagesScanned == 44 && stats.dump?.sharedPagesWritten == 2)
        #expect(stats.dump?.frozenTime == 70307 && stats.dump?.pagePipes == 8)
        let timens = try Self.entry(TimeNamespace.self, "raw/fds-sockets/timens-0.img")
        #expect(timens.monotonic.seconds == 507 && timens.monotonic.nanoseconds == 873_838_077)
        let core = try Self.entry(Core.self, "raw/fds-sockets/core-23431.img")
        #expect(core.task?.comm == "fds" && core.thread?.cgroupSet == 1 && core.thread?.schedulingPolicy == 0)
        let seccomp = try Self.entry(Seccomp.self, "raw/proc-tree/seccomp.img")
        #expect(seccomp.filters.isEmpty)
    }

    @Test func podmanNamespacesMountsAndCgroups() throws {
        let images = Fixtures.allImages().filter { $0.contains("ck-basic.none.tar/") }
        func podmanImage(_ prefix: String) throws -> (bytes: [UInt8], name: String) {
            let path = try #require(images.first { ($0 as NSString).lastPathComponent.hasPrefix(prefix) })
            return ([UInt8](try Data(contentsOf: URL(fileURLWithPath: path))), (path as NSString).lastPathComponent)
        }
        let uts = try podmanImage("utsns-")
        let utsns = try decodeEntry(UTSNamespace.self, from: uts.bytes, fileName: uts.name)
        #expect(utsns.hostName == "5731d16d6749" && utsns.domainName == "(none)")
        let cg = try podmanImage("cgroup.img")
        let cgroups = try decodeEntry(Cgroups.self, from: cg.bytes, fileName: cg.name)
        let set = try #require(cgroups.set(id: 2))
        #expect(set.members.first?.controllers == "")
        #expect(set.members.allSatisfy { $0.path.description.hasPrefix("/libpod_parent/libpod-5731d16d6749") })
        let mnt = try podmanImage("mountpoints-")
        let mounts = try decodeEntries(Mount.self, from: mnt.bytes, fileName: mnt.name)
        #expect(mounts.count == 29)
        #expect(mounts[0].filesystemType == .tmpfs && mounts[0].mountPoint == "/sys/dev/block" && mounts[0].id == 57)
        #expect(mounts[0].superblockFlags == 1 && mounts[0].sharedID == 0)
        #expect(mounts.contains { $0.mountPoint == "/" && $0.filesystemType == .overlayfs })
        #expect(mounts.contains { $0.filesystemType == .proc })
    }

    @Test func askingForTheWrongMessageIsAnError() throws {
        let bytes = try Fixtures.bytes("raw/marker-static/mm-28716.img")
        #expect(throws: ImageError.self) { try decodeEntries(VMA.self, from: bytes, fileName: "mm-28716.img") }
        do throws(ImageError) {
            _ = try decodeEntries(PagemapEntry.self, from: bytes, fileName: "mm-28716.img")
            Issue.record("decoded a pagemap from an mm image")
        } catch {
            #expect(error.code == .unknownMessage && error.file == "mm-28716.img" && error.image == "MM")
        }
        let heads = try decodeEntries(PagemapHead.self, from: try Fixtures.bytes("raw/marker-static/pagemap-28716.img"), fileName: "pagemap-28716.img")
        #expect(heads == [PagemapHead(pagesID: 1)])
    }
}
