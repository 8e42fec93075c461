import Testing
import CRIUImages

// The typed models checked against the generic decoder: each model is turned back into the
// tree of values it claims the message holds, keyed by the schema's field *names* (so a wrong
// field number in a model's decoder shows up as a mismatch), and compared with the
// GenericDecoder's DecodedMessage of the same entry.

/// One expected value of a field.
indirect enum ModelValue {
    case u(UInt64)
    case s(Int64)
    case b(Bool)
    /// A schema `enum` field's number.
    case e(Int32)
    /// A schema `string` field's bytes.
    case str([UInt8])
    /// A schema `bytes` field.
    case bytes([UInt8])
    case m(ModelExpectation)
}

/// How a field is checked.
enum ModelCheck {
    /// Exactly these values in wire order; empty = absent.
    case values([ModelValue])
    /// A field with a proto2 default: absent on the wire means the model holds the default.
    case defaulted(ModelValue, default: ModelValue)
    /// Only whether the field is present.
    case present(Bool)
    /// A custom comparison (counts as one field).
    case custom((DecodedField?) -> Bool)
}

/// What a typed model says a message contains.
struct ModelExpectation {
    let type: String
    var items: [(name: String, check: ModelCheck)] = []

    init(_ type: String) { self.type = type }

    func with(_ name: String, _ check: ModelCheck) -> ModelExpectation {
        var copy = self
        copy.items.append((name, check))
        return copy
    }
    func req(_ name: String, _ value: ModelValue) -> ModelExpectation { with(name, .values([value])) }
    func opt(_ name: String, _ value: ModelValue?) -> ModelExpectation { with(name, .values(value.map { [$0] } ?? [])) }
    func rep(_ name: String, _ values: [ModelValue]) -> ModelExpectation { with(name, .values(values)) }
    func def(_ name: String, _ value: ModelValue, _ defaultValue: ModelValue) -> ModelExpectation { with(name, .defaulted(value, default: defaultValue)) }
    func present(_ name: String, _ isPresent: Bool) -> ModelExpectation { with(name, .present(isPresent)) }
    func custom(_ name: String, _ body: @escaping (DecodedField?) -> Bool) -> ModelExpectation { with(name, .custom(body)) }
}

protocol ModelExpectable {
    var expected: ModelExpectation { get }
}

/// Compares expectations with generic decodes and keeps score.
struct ModelComparison {
    var entries = 0
    var fields = 0
    var failures: [String] = []
    /// Fields the generic decoder found that no expectation looked at, by `message.field`.
    var uncovered: [String: Int] = [:]
    var entriesByType: [String: Int] = [:]

    mutating func compare(_ expect: ModelExpectation, _ generic: DecodedMessage, at path: String) {
        guard expect.type == generic.type else {
            failures.append("\(path): expected a \(expect.type), generic decoded a \(generic.type)")
            return
        }
        guard let descriptor = Schema.criu.message(expect.type) else {
            failures.append("\(path): \(expect.type) is not in the schema")
            return
        }
        var named = Set<String>()
        for (name, check) in expect.items {
            named.insert(name)
            guard descriptor.field(named: name) != nil else {
                failures.append("\(path): \(expect.type) has no field named \(name)")
                continue
            }
            let field = generic[name]
            let where_ = "\(path).\(name)"
            switch check {
            case .values(let values):
                let actual = field?.values ?? []
                if values.count != actual.count {
                    failures.append("\(where_): \(values.count) typed value(s), generic has \(actual.count)")
                    continue
                }
                for (i, (e, v)) in zip(values, actual).enumerated() {
                    compare(e, v, at: values.count > 1 ? "\(where_)[\(i)]" : where_)
                }
            case .defaulted(let value, let defaultValue):
                if let v = field?.values.last {
                    compare(value, v, at: where_)
                } else {
                    fields += 1
                    if !Self.scalarEqual(value, defaultValue) { failures.append("\(where_): absent, typed value is not the proto2 default") }
                }
            case .present(let isPresent):
                fields += 1
                if (field != nil) != isPresent { failures.append("\(where_): presence \(field != nil), typed says \(isPresent)") }
            case .custom(let body):
                fields += 1
                if !body(field) { failures.append("\(where_): custom comparison failed (generic \(String(describing: field?.values)))") }
            }
        }
        for field in generic.fields where !named.contains(field.name) {
            uncovered["\(generic.type).\(field.name)", default: 0] += 1
        }
    }

    mutating func compare(_ e: ModelValue, _ v: DecodedValue, at path: String) {
        if case .m(let sub) = e {
            guard case .message(let message) = v else {
                failures.append("\(path): typed sub-message, generic \(v)")
                return
            }
            compare(sub, message, at: path)
            return
        }
        fields += 1
        let equal: Bool
        switch (e, v) {
        case (.u(let a), .unsigned(let b)): equal = a == b
        case (.s(let a), .signed(let b)): equal = a == b
        case (.b(let a), .bool(let b)): equal = a == b
        case (.e(let a), .enumeration(let b, _)): equal = a == b
        case (.str(let a), .string(let b)): equal = a == b
        case (.bytes(let a), .bytes(let b)): equal = a == b
        default: equal = false
        }
        if !equal { failures.append("\(path): typed \(e), generic \(v)") }
    }

    static func scalarEqual(_ a: ModelValue, _ b: ModelValue) -> Bool {
        switch (a, b) {
        case (.u(let x), .u(let y)): x == y
        case (.s(let x), .s(let y)): x == y
        case (.b(let x), .b(let y)): x == y
        case (.e(let x), .e(let y)): x == y
        default: false
        }
    }
}

// MARK: - Hand-written expectations (models whose shape differs from the message)

extension Inventory: ModelExpectable {
    var expected: ModelExpectation {
        ModelExpectation("inventory_entry")
            .req("img_version", .u(UInt64(imageVersion)))
            .opt("fdinfo_per_id", fdinfoPerID.map { .b($0) })
            .opt("root_ids", rootIDs.map { .m($0.expected) })
            .opt("ns_per_id", namespacesPerID.map { .b($0) })
            .opt("root_cg_set", rootCgroupSet.map { .u(UInt64($0)) })
            .opt("lsmtype", lsmType.map { .e(Int32(bitPattern: $0.rawValue)) })
            .opt("dump_uptime", dumpUptime.map { .u($0) })
            .opt("pre_dump_mode", preDumpMode.map { .u(UInt64($0)) })
            .opt("tcp_close", tcpClose.map { .b($0) })
            .opt("network_lock_method", networkLockMethod.map { .u(UInt64($0)) })
            .opt("plugins_entry", plugins.map { .m(ModelExpectation("plugins_entry").rep("plugins", $0.map { .str(Array($0.utf8)) })) })
            .opt("dump_criu_run_id", dumpRunID.map { .str(Array($0.utf8)) })
            .opt("allow_uprobes", allowUprobes.map { .b($0) })
    }
}

/// `signal_queue_entry` from raw siginfo blobs.
func expectedSignalQueue(_ signals: [[UInt8]]) -> ModelValue {
    .m(ModelExpectation("signal_queue_entry").rep("signals", signals.map { .m(ModelExpectation("siginfo_entry").req("siginfo", .bytes($0))) }))
}

extension TaskCore: ModelExpectable {
    var expected: ModelExpectation {
        ModelExpectation("task_core_entry")
            .req("task_state", .u(UInt64(state.rawValue)))
            .req("exit_code", .u(UInt64(exitCode)))
            .req("personality", .u(UInt64(personality)))
            .req("flags", .u(UInt64(flags)))
            .req("blk_sigset", .u(blockedSignals))
            .req("comm", .str(comm.bytes))
            .opt("timers", timers.map { .m($0.expected) })
            .opt("rlimits", resourceLimits.map { .m(ModelExpectation("task_rlimits_entry").rep("rlimits", $0.map { .m($0.expected) })) })
            .opt("cg_set", cgroupSet.map { .u(UInt64($0)) })
            .opt("signals_s", pendingSignals.map(expectedSignalQueue))
            .opt("old_seccomp_mode", oldSeccompMode.map { .e(Int32(bitPattern: $0.rawValue)) })
            .opt("old_seccomp_filter", oldSeccompFilter.map { .u(UInt64($0)) })
            .opt("loginuid", loginUID.map { .u(UInt64($0)) })
            .opt("oom_score_adj", oomScoreAdjust.map { .s(Int64($0)) })
            .rep("sigactions", signalActions.map { .m($0.expected) })
            .opt("child_subreaper", childSubreaper.map { .b($0) })
            .opt("blk_sigset_extended", blockedSignalsExtended.map { .u($0) })
            .opt("stop_signo", stopSignal.map { .u(UInt64($0)) })
            .opt("membarrier_registration_mask", membarrierRegistrationMask.map { .u(UInt64($0)) })
    }
}

extension ThreadCore: ModelExpectable {
    var expected: ModelExpectation {
        ModelExpectation("thread_core_entry")
            .req("futex_rla", .u(robustListHead))
            .req("futex_rla_len", .u(UInt64(robustListLength)))
            .opt("sched_nice", schedulingNice.map { .s(Int64($0)) })
            .opt("sched_policy", schedulingPolicy.map { .u(UInt64($0)) })
            .opt("sched_prio", schedulingPriority.map { .u(UInt64($0)) })
            .opt("blk_sigset", blockedSignals.map { .u($0) })
            .opt("sas", signalStack.map { .m($0.expected) })
            .opt("pdeath_sig", parentDeathSignal.map { .u(UInt64($0)) })
            .opt("signals_p", pendingSignals.map(expectedSignalQueue))
            .opt("creds", credentials.map { .m($0.expected) })
            .opt("seccomp_mode", seccompMode.map { .e(Int32(bitPattern: $0.rawValue)) })
            .opt("seccomp_filter", seccompFilter.map { .u(UInt64($0)) })
            .opt("comm", comm.map { .str($0.bytes) })
            .opt("blk_sigset_extended", blockedSignalsExtended.map { .u($0) })
            .opt("rseq_entry", rseq.map { .m($0.expected) })
            .opt("cg_set", cgroupSet.map { .u(UInt64($0)) })
    }
}

/// A capability set against the generic field's u32 words.
func expectedCapabilities(_ set: CapabilitySet?) -> (DecodedField?) -> Bool {
    { field in
        guard let field else { return set == nil }
        let words = field.values.compactMap { v -> UInt32? in if case .unsigned(let x) = v { UInt32(x) } else { nil } }
        return words.count == field.values.count && set == CapabilitySet(words: words)
    }
}

extension Credentials: ModelExpectable {
    var expected: ModelExpectation {
        ModelExpectation("creds_entry")
            .req("uid", .u(UInt64(uid))).req("gid", .u(UInt64(gid)))
            .req("euid", .u(UInt64(euid))).req("egid", .u(UInt64(egid)))
            .req("suid", .u(UInt64(suid))).req("sgid", .u(UInt64(sgid)))
            .req("fsuid", .u(UInt64(fsuid))).req("fsgid", .u(UInt64(fsgid)))
            .custom("cap_inh", expectedCapabilities(inheritable))
            .custom("cap_prm", expectedCapabilities(permitted))
            .custom("cap_eff", expectedCapabilities(effective))
            .custom("cap_bnd", expectedCapabilities(bounding))
            .custom("cap_amb", expectedCapabilities(ambient))
            .req("secbits", .u(UInt64(secureBits)))
            .rep("groups", groups.map { .u(UInt64($0)) })
            .opt("lsm_profile", lsmProfile.map { .str($0.bytes) })
            .opt("lsm_sockcreate", lsmSocketCreate.map { .str($0.bytes) })
            .opt("apparmor_data", apparmorData.map { .bytes($0) })
            .opt("no_new_privs", noNewPrivileges.map { .u(UInt64($0)) })
    }
}

extension X86Registers: ModelExpectable {
    var expected: ModelExpectation {
        var gp = ModelExpectation("user_x86_regs_entry")
        for (name, value) in generalRegisters { gp = gp.req(name, .u(value)) }
        gp = gp.def("mode", .e(Int32(bitPattern: mode.rawValue)), .e(1))
        var fp = ModelExpectation("user_x86_fpregs_entry").req("mxcsr", .u(UInt64(mxcsr)))
            .req("cwd", .u(UInt64(fpu.cwd))).req("swd", .u(UInt64(fpu.swd))).req("twd", .u(UInt64(fpu.twd)))
            .req("fop", .u(UInt64(fpu.fop))).req("rip", .u(fpu.rip)).req("rdp", .u(fpu.rdp)).req("mxcsr_mask", .u(UInt64(fpu.mxcsrMask)))
            .rep("st_space", fpu.stSpace.map { .u(UInt64($0)) }).rep("xmm_space", fpu.xmmSpace.map { .u(UInt64($0)) })
        if hasXSave {
            fp = fp.req("xsave", .m(ModelExpectation("user_x86_xsave_entry").opt("xstate_bv", xstateBV.map { .u($0) })
                .rep("ymmh_space", fpu.ymmhSpace.map { .u(UInt64($0)) }).rep("bndreg_state", fpu.bndregState.map { .u($0) })
                .rep("bndcsr_state", fpu.bndcsrState.map { .u($0) }).rep("opmask_reg", fpu.opmaskReg.map { .u($0) })
                .rep("zmm_upper", fpu.zmmUpper.map { .u($0) }).rep("hi16_zmm", fpu.hi16Zmm.map { .u($0) })
                .rep("pkru", fpu.pkru.map { .u(UInt64($0)) })))
        } else {
            fp = fp.present("xsave", false)
        }
        return ModelExpectation("thread_info_x86")
            .req("clear_tid_addr", .u(clearTIDAddress))
            .req("gpregs", .m(gp))
            .req("fpregs", .m(fp))
            .rep("tls", tls.map { .m($0.expected) })
    }
}

extension AArch64Registers: ModelExpectable {
    var expected: ModelExpectation {
        ModelExpectation("thread_info_aarch64")
            .req("clear_tid_addr", .u(clearTIDAddress))
            .req("tls", .u(tls))
            .req("gpregs", .m(ModelExpectation("user_aarch64_regs_entry").rep("regs", regs.map { .u($0) })
                .req("sp", .u(sp)).req("pc", .u(pc)).req("pstate", .u(pstate))))
            .req("fpsimd", .m(ModelExpectation("user_aarch64_fpsimd_context_entry").rep("vregs", vregs.map { .u($0) })
                .req("fpsr", .u(UInt64(fpsr))).req("fpcr", .u(UInt64(fpcr)))))
            .present("pac_keys", hasPACKeys)
    }
}

extension Core: ModelExpectable {
    static let registerFields: [(Architecture, String)] = [
        (.x86_64, "thread_info"), (.arm, "ti_arm"), (.aarch64, "ti_aarch64"), (.ppc64, "ti_ppc64"),
        (.s390, "ti_s390"), (.mips, "ti_mips"), (.loongarch64, "ti_loongarch64"), (.riscv64, "ti_riscv64"),
    ]

    var expected: ModelExpectation {
        var e = ModelExpectation("core_entry")
            .req("mtype", .e(Int32(bitPattern: architecture.rawValue)))
            .opt("tc", task.map { .m($0.expected) })
            .opt("ids", ids.map { .m($0.expected) })
            .opt("thread_core", thread.map { .m($0.expected) })
        for (arch, name) in Self.registerFields {
            switch registers {
            case .x86_64(let regs) where arch == .x86_64: e = e.req(name, .m(regs.expected))
            case .aarch64(let regs) where arch == .aarch64: e = e.req(name, .m(regs.expected))
            default: e = e.present(name, registers?.architecture == arch)
            }
        }
        return e
    }
}

extension PagemapEntry: ModelExpectable {
    var expected: ModelExpectation {
        ModelExpectation("pagemap_entry")
            .req("vaddr", .u(vaddr))
            .req("compat_nr_pages", .u(UInt64(compatPageCount)))
            .opt("in_parent", inParent.map { .b($0) })
            .opt("flags", flags.map { .u(UInt64($0.rawValue)) })
            .opt("nr_pages", pageCount.map { .u($0) })
    }
}

extension FileEntry: ModelExpectable {
    var expected: ModelExpectation {
        let e = ModelExpectation("file_entry").req("type", .e(Int32(bitPattern: type.rawValue))).req("id", .u(UInt64(id)))
        switch file {
        case .regular(let f): return e.req("reg", .m(f.expected))
        case .inetSocket(let f): return e.req("isk", .m(f.expected))
        case .namespace(let f): return e.req("nsf", .m(f.expected))
        case .packetSocket(let f): return e.req("psk", .m(f.expected))
        case .netlinkSocket(let f): return e.req("nlsk", .m(f.expected))
        case .eventfd(let f): return e.req("efd", .m(f.expected))
        case .eventpoll(let f): return e.req("epfd", .m(f.expected))
        case .signalfd(let f): return e.req("sgfd", .m(f.expected))
        case .tun(let f): return e.req("tunf", .m(f.expected))
        case .timerfd(let f): return e.req("tfd", .m(f.expected))
        case .inotify(let f): return e.req("ify", .m(f.expected))
        case .fanotify(let f): return e.req("ffy", .m(f.expected))
        case .external(let f): return e.req("ext", .m(f.expected))
        case .unixSocket(let f): return e.req("usk", .m(f.expected))
        case .fifo(let f): return e.req("fifo", .m(f.expected))
        case .pipe(let f): return e.req("pipe", .m(f.expected))
        case .tty(let f): return e.req("tty", .m(f.expected))
        case .memfd(let f): return e.req("memfd", .m(f.expected))
        case .bpfMap(let f): return e.req("bpf", .m(f.expected))
        case .pidfd(let f): return e.req("pidfd", .m(f.expected))
        case .missing, .unknown: return e
        }
    }
}

// MARK: - Generated from the model specification (one expectation per field of each model)

extension RegularFile: ModelExpectable {
    var expected: ModelExpectation {
        ModelExpectation("reg_file_entry")
            .req("id", .u(UInt64(id)))
            .req("flags", .u(UInt64(flags)))
            .req("pos", .u(position))
            .req("fown", .m(owner.expected))
            .req("name", .str(name.bytes))
            .def("mnt_id", .s(Int64(mountID)), .s(-1))
            .opt("size", size.map { .u($0) })
            .opt("ext", isExternal.map { .b($0) })
            .opt("mode", mode.map { .u(UInt64($0)) })
            .rep("build_id", buildID.map { .u(UInt64($0)) })
            .opt("checksum", checksum.map { .u(UInt64($0)) })
            .opt("checksum_config", checksumConfig.map { .u(UInt64($0)) })
            .opt("checksum_parameter", checksumParameter.map { .u(UInt64($0)) })
    }
}

extension PipeFile: ModelExpectable {
    var expected: ModelExpectation {
        ModelExpectation("pipe_entry")
            .req("id", .u(UInt64(id)))
            .req("pipe_id", .u(UInt64(pipeID)))
            .req("flags", .u(UInt64(flags)))
            .req("fown", .m(owner.expected))
    }
}

extension FIFOFile: ModelExpectable {
    var expected: ModelExpectation {
        ModelExpectation("fifo_entry")
            .req("id", .u(UInt64(id)))
            .req("pipe_id", .u(UInt64(pipeID)))
            .opt("regf_id", regularFileID.map { .u(UInt64($0)) })
    }
}

extension UnixSocket: ModelExpectable {
    var expected: ModelExpectation {
        ModelExpectation("unix_sk_entry")
            .req("id", .u(UInt64(id)))
            .req("ino", .u(UInt64(inode)))
            .req("type", .u(UInt64(type)))
            .req("state", .u(UInt64(state)))
            .req("flags", .u(UInt64(flags)))
            .req("uflags", .u(UInt64(criuFlags)))
            .req("backlog", .u(UInt64(backlog)))
            .req("peer", .u(UInt64(peer)))
            .req("fown", .m(owner.expected))
            .req("opts", .m(options.expected))
            .req("name", .bytes(name))
            .opt("shutdown", shutdown.map { .e(Int32(bitPattern: $0.rawValue)) })
            .opt("file_perms", filePermissions.map { .m($0.expected) })
            .opt("name_dir", nameDirectory.map { .str($0.bytes) })
            .opt("deleted", isDeleted.map { .b($0) })
            .opt("ns_id", netNamespaceID.map { .u(UInt64($0)) })
            .def("mnt_id", .s(Int64(mountID)), .s(-1))
    }
}

extension FilePermissions: ModelExpectable {
    var expected: ModelExpectation {
        ModelExpectation("file_perms_entry")
            .req("mode", .u(UInt64(mode)))
            .req("uid", .u(UInt64(uid)))
            .req("gid", .u(UInt64(gid)))
    }
}

extension InetSocket: ModelExpectable {
    var expected: ModelExpectation {
        ModelExpectation("inet_sk_entry")
            .req("id", .u(UInt64(id)))
            .req("ino", .u(UInt64(inode)))
            .req("family", .u(UInt64(family)))
            .req("type", .u(UInt64(type)))
            .req("proto", .u(UInt64(protocolNumber)))
            .req("state", .u(UInt64(state)))
            .req("src_port", .u(UInt64(sourcePort)))
            .req("dst_port", .u(UInt64(destinationPort)))
            .req("flags", .u(UInt64(flags)))
            .req("backlog", .u(UInt64(backlog)))
            .rep("src_addr", sourceAddressWords.map { .u(UInt64($0)) })
            .rep("dst_addr", destinationAddressWords.map { .u(UInt64($0)) })
            .req("fown", .m(owner.expected))
            .req("opts", .m(options.expected))
            .opt("v6only", v6Only.map { .b($0) })
            .opt("ip_opts", ipOptions.map { .m($0.expected) })
            .opt("ifname", interfaceName.map { .str($0.bytes) })
            .opt("ns_id", netNamespaceID.map { .u(UInt64($0)) })
            .opt("shutdown", shutdown.map { .e(Int32(bitPattern: $0.rawValue)) })
            .opt("tcp_opts", tcpOptions.map { .m($0.expected) })
    }
}

extension IPOptions: ModelExpectable {
    var expected: ModelExpectation {
        ModelExpectation("ip_opts_entry")
            .opt("freebind", freeBind.map { .b($0) })
            .opt("raw", raw.map { .m($0.expected) })
            .opt("pktinfo", packetInfo.map { .b($0) })
            .opt("tos", typeOfService.map { .u(UInt64($0)) })
            .opt("ttl", timeToLive.map { .u(UInt64($0)) })
    }
}

extension RawIPOptions: ModelExpectable {
    var expected: ModelExpectation {
        ModelExpectation("ip_opts_raw_entry")
            .opt("hdrincl", headerIncluded.map { .b($0) })
            .opt("nodefrag", noDefragment.map { .b($0) })
            .opt("checksum", checksum.map { .b($0) })
            .rep("icmpv_filter", icmpFilter.map { .u(UInt64($0)) })
    }
}

extension TCPOptions: ModelExpectable {
    var expected: ModelExpectation {
        ModelExpectation("tcp_opts_entry")
            .opt("cork", cork.map { .b($0) })
            .opt("nodelay", noDelay.map { .b($0) })
            .opt("keepcnt", keepCount.map { .u(UInt64($0)) })
            .opt("keepidle", keepIdle.map { .u(UInt64($0)) })
            .opt("keepintvl", keepInterval.map { .u(UInt64($0)) })
    }
}

extension PacketSocket: ModelExpectable {
    var expected: ModelExpectation {
        ModelExpectation("packet_sock_entry")
            .req("id", .u(UInt64(id)))
            .req("type", .u(UInt64(type)))
            .req("protocol", .u(UInt64(protocolNumber)))
            .req("flags", .u(UInt64(flags)))
            .req("ifindex", .u(UInt64(interfaceIndex)))
            .req("fown", .m(owner.expected))
            .req("opts", .m(options.expected))
            .req("version", .u(UInt64(version)))
            .req("reserve", .u(UInt64(reserve)))
            .req("aux_data", .b(auxData))
            .req("orig_dev", .b(originalDevice))
            .req("vnet_hdr", .b(vnetHeader))
            .req("loss", .b(loss))
            .req("timestamp", .u(UInt64(timestamp)))
            .req("copy_thresh", .u(UInt64(copyThreshold)))
            .rep("mclist", multicast.map { .m($0.expected) })
            .def("fanout", .u(UInt64(fanout)), .u(0xffff_ffff))
            .opt("rx_ring", receiveRing.map { .m($0.expected) })
            .opt("tx_ring", transmitRing.map { .m($0.expected) })
            .opt("ns_id", netNamespaceID.map { .u(UInt64($0)) })
    }
}

extension PacketMulticast: ModelExpectable {
    var expected: ModelExpectation {
        ModelExpectation("packet_mclist")
            .req("index", .u(UInt64(index)))
            .req("type", .u(UInt64(type)))
            .req("addr", .bytes(address))
    }
}

extension PacketRing: ModelExpectable {
    var expected: ModelExpectation {
        ModelExpectation("packet_ring")
            .req("block_size", .u(UInt64(blockSize)))
            .req("block_nr", .u(UInt64(blockCount)))
            .req("frame_size", .u(UInt64(frameSize)))
            .req("frame_nr", .u(UInt64(frameCount)))
            .req("retire_tmo", .u(UInt64(retireTimeout)))
            .req("sizeof_priv", .u(UInt64(privateSize)))
            .req("features", .u(UInt64(features)))
    }
}

extension NetlinkSocket: ModelExpectable {
    var expected: ModelExpectation {
        ModelExpectation("netlink_sk_entry")
            .req("id", .u(UInt64(id)))
            .req("ino", .u(UInt64(inode)))
            .req("protocol", .u(UInt64(protocolNumber)))
            .req("state", .u(UInt64(state)))
            .req("flags", .u(UInt64(flags)))
            .req("portid", .u(UInt64(portID)))
            .rep("groups", groups.map { .u(UInt64($0)) })
            .req("dst_portid", .u(UInt64(destinationPortID)))
            .req("dst_group", .u(UInt64(destinationGroup)))
            .req("fown", .m(owner.expected))
            .req("opts", .m(options.expected))
            .opt("ns_id", netNamespaceID.map { .u(UInt64($0)) })
    }
}

extension EventFD: ModelExpectable {
    var expected: ModelExpectation {
        ModelExpectation("eventfd_file_entry")
            .req("id", .u(UInt64(id)))
            .req("flags", .u(UInt64(flags)))
            .req("fown", .m(owner.expected))
            .req("counter", .u(counter))
    }
}

extension EventPoll: ModelExpectable {
    var expected: ModelExpectation {
        ModelExpectation("eventpoll_file_entry")
            .req("id", .u(UInt64(id)))
            .req("flags", .u(UInt64(flags)))
            .req("fown", .m(owner.expected))
            .rep("tfd", targets.map { .m($0.expected) })
    }
}

extension EventPollTarget: ModelExpectable {
    var expected: ModelExpectation {
        ModelExpectation("eventpoll_tfd_entry")
            .req("id", .u(UInt64(id)))
            .req("tfd", .u(UInt64(fd)))
            .req("events", .u(UInt64(events)))
            .req("data", .u(data))
            .opt("dev", device.map { .u(UInt64($0)) })
            .opt("inode", inode.map { .u($0) })
            .opt("pos", position.map { .u($0) })
    }
}

extension SignalFD: ModelExpectable {
    var expected: ModelExpectation {
        ModelExpectation("signalfd_entry")
            .req("id", .u(UInt64(id)))
            .req("flags", .u(UInt64(flags)))
            .req("fown", .m(owner.expected))
            .req("sigmask", .u(signalMask))
    }
}

extension Inotify: ModelExpectable {
    var expected: ModelExpectation {
        ModelExpectation("inotify_file_entry")
            .req("id", .u(UInt64(id)))
            .req("flags", .u(UInt64(flags)))
            .req("fown", .m(owner.expected))
            .rep("wd", watches.map { .m($0.expected) })
    }
}

extension InotifyWatch: ModelExpectable {
    var expected: ModelExpectation {
        ModelExpectation("inotify_wd_entry")
            .req("id", .u(UInt64(id)))
            .req("i_ino", .u(inode))
            .req("mask", .u(UInt64(mask)))
            .req("ignored_mask", .u(UInt64(ignoredMask)))
            .req("s_dev", .u(UInt64(device)))
            .req("wd", .u(UInt64(watchDescriptor)))
            .req("f_handle", .m(handle.expected))
    }
}

extension FileHandle: ModelExpectable {
    var expected: ModelExpectation {
        ModelExpectation("fh_entry")
            .req("bytes", .u(UInt64(byteCount)))
            .req("type", .u(UInt64(type)))
            .rep("handle", handle.map { .u($0) })
            .opt("path", path.map { .str($0.bytes) })
            .opt("mnt_id", mountID.map { .u(UInt64($0)) })
    }
}

extension Fanotify: ModelExpectable {
    var expected: ModelExpectation {
        ModelExpectation("fanotify_file_entry")
            .req("id", .u(UInt64(id)))
            .req("flags", .u(UInt64(flags)))
            .req("fown", .m(owner.expected))
            .req("faflags", .u(UInt64(initFlags)))
            .req("evflags", .u(UInt64(eventFlags)))
            .rep("mark", marks.map { .m($0.expected) })
    }
}

extension FanotifyMark: ModelExpectable {
    var expected: ModelExpectation {
        ModelExpectation("fanotify_mark_entry")
            .req("id", .u(UInt64(id)))
            .req("type", .e(Int32(bitPattern: type.rawValue)))
            .req("mflags", .u(UInt64(flags)))
            .req("mask", .u(UInt64(mask)))
            .req("ignored_mask", .u(UInt64(ignoredMask)))
            .req("s_dev", .u(UInt64(device)))
            .opt("ie", inodeMark.map { .m($0.expected) })
            .opt("me", mountMark.map { .m($0.expected) })
    }
}

extension FanotifyInodeMark: ModelExpectable {
    var expected: ModelExpectation {
        ModelExpectation("fanotify_inode_mark_entry")
            .req("i_ino", .u(inode))
            .req("f_handle", .m(handle.expected))
    }
}

extension FanotifyMountMark: ModelExpectable {
    var expected: ModelExpectation {
        ModelExpectation("fanotify_mount_mark_entry")
            .req("mnt_id", .u(UInt64(mountID)))
            .opt("path", path.map { .str($0.bytes) })
    }
}

extension TimerFD: ModelExpectable {
    var expected: ModelExpectation {
        ModelExpectation("timerfd_entry")
            .req("id", .u(UInt64(id)))
            .req("flags", .u(UInt64(flags)))
            .req("fown", .m(owner.expected))
            .req("clockid", .u(UInt64(clockID)))
            .req("ticks", .u(ticks))
            .req("settime_flags", .u(UInt64(settimeFlags)))
            .req("vsec", .u(valueSeconds))
            .req("vnsec", .u(valueNanoseconds))
            .req("isec", .u(intervalSeconds))
            .req("insec", .u(intervalNanoseconds))
    }
}

extension TTYFile: ModelExpectable {
    var expected: ModelExpectation {
        ModelExpectation("tty_file_entry")
            .req("id", .u(UInt64(id)))
            .req("tty_info_id", .u(UInt64(ttyInfoID)))
            .req("flags", .u(UInt64(flags)))
            .req("fown", .m(owner.expected))
            .opt("regf_id", regularFileID.map { .u(UInt64($0)) })
    }
}

extension MemFDFile: ModelExpectable {
    var expected: ModelExpectation {
        ModelExpectation("memfd_file_entry")
            .req("id", .u(UInt64(id)))
            .req("flags", .u(UInt64(flags)))
            .req("pos", .u(position))
            .req("fown", .m(owner.expected))
            .req("inode_id", .u(UInt64(inodeID)))
    }
}

extension TunFile: ModelExpectable {
    var expected: ModelExpectation {
        ModelExpectation("tunfile_entry")
            .req("id", .u(UInt64(id)))
            .opt("netdev", device.map { .str($0.bytes) })
            .opt("detached", isDetached.map { .b($0) })
            .opt("ns_id", netNamespaceID.map { .u(UInt64($0)) })
    }
}

extension BPFMapFile: ModelExpectable {
    var expected: ModelExpectation {
        ModelExpectation("bpfmap_file_entry")
            .req("id", .u(UInt64(id)))
            .req("flags", .u(UInt64(flags)))
            .req("pos", .u(position))
            .req("fown", .m(owner.expected))
            .req("map_type", .u(UInt64(mapType)))
            .req("key_size", .u(UInt64(keySize)))
            .req("value_size", .u(UInt64(valueSize)))
            .req("map_id", .u(UInt64(mapID)))
            .req("max_entries", .u(UInt64(maxEntries)))
            .req("map_flags", .u(UInt64(mapFlags)))
            .req("memlock", .u(memlock))
            .req("frozen", .b(isFrozen))
            .req("map_name", .str(mapName.bytes))
            .req("ifindex", .u(UInt64(interfaceIndex)))
            .def("mnt_id", .s(Int64(mountID)), .s(-1))
            .opt("map_extra", mapExtra.map { .u($0) })
    }
}

extension PidFD: ModelExpectable {
    var expected: ModelExpectation {
        ModelExpectation("pidfd_entry")
            .req("id", .u(UInt64(id)))
            .req("ino", .u(UInt64(inode)))
            .req("flags", .u(UInt64(flags)))
            .req("nspid", .s(Int64(pid)))
            .req("fown", .m(owner.expected))
    }
}

extension NamespaceFile: ModelExpectable {
    var expected: ModelExpectation {
        ModelExpectation("ns_file_entry")
            .req("id", .u(UInt64(id)))
            .req("ns_id", .u(UInt64(namespaceID)))
            .req("ns_cflag", .u(UInt64(cloneFlag)))
            .req("flags", .u(UInt64(flags)))
    }
}

extension ExternalFile: ModelExpectable {
    var expected: ModelExpectation {
        ModelExpectation("ext_file_entry")
            .req("id", .u(UInt64(id)))
            .req("fown", .m(owner.expected))
    }
}

extension Mount: ModelExpectable {
    var expected: ModelExpectation {
        ModelExpectation("mnt_entry")
            .req("fstype", .u(UInt64(filesystemType.rawValue)))
            .req("mnt_id", .u(UInt64(id)))
            .req("root_dev", .u(UInt64(rootDevice)))
            .req("parent_mnt_id", .u(UInt64(parentID)))
            .req("flags", .u(UInt64(flags)))
            .req("root", .str(root.bytes))
            .req("mountpoint", .str(mountPoint.bytes))
            .req("source", .str(source.bytes))
            .req("options", .str(options.bytes))
            .opt("shared_id", sharedID.map { .u(UInt64($0)) })
            .opt("master_id", masterID.map { .u(UInt64($0)) })
            .opt("with_plugin", withPlugin.map { .b($0) })
            .opt("ext_mount", isExternalMount.map { .b($0) })
            .opt("fsname", filesystemName.map { .str($0.bytes) })
            .opt("internal_sharing", internalSharing.map { .b($0) })
            .opt("deleted", isDeleted.map { .b($0) })
            .opt("sb_flags", superblockFlags.map { .u(UInt64($0)) })
            .opt("ext_key", externalKey.map { .str($0.bytes) })
    }
}

extension NetNamespace: ModelExpectable {
    var expected: ModelExpectation {
        ModelExpectation("netns_entry")
            .rep("def_conf", legacyDefaultConf.map { .s(Int64($0)) })
            .rep("all_conf", legacyAllConf.map { .s(Int64($0)) })
            .rep("def_conf4", defaultIPv4Conf.map { .m($0.expected) })
            .rep("all_conf4", allIPv4Conf.map { .m($0.expected) })
            .rep("def_conf6", defaultIPv6Conf.map { .m($0.expected) })
            .rep("all_conf6", allIPv6Conf.map { .m($0.expected) })
            .rep("nsids", namespaceIDs.map { .m($0.expected) })
            .opt("ext_key", externalKey.map { .str($0.bytes) })
            .rep("unix_conf", unixConf.map { .m($0.expected) })
            .rep("ipv4_sysctl", ipv4Sysctls.map { .m($0.expected) })
    }
}

extension NetNamespaceID: ModelExpectable {
    var expected: ModelExpectation {
        ModelExpectation("netns_id")
            .req("target_ns_id", .u(UInt64(targetNamespaceID)))
            .req("netnsid_value", .s(Int64(value)))
    }
}

extension Sysctl: ModelExpectable {
    var expected: ModelExpectation {
        ModelExpectation("sysctl_entry")
            .req("type", .e(Int32(bitPattern: type.rawValue)))
            .opt("iarg", integer.map { .s(Int64($0)) })
            .opt("sarg", string.map { .str($0.bytes) })
    }
}

extension NetDevice: ModelExpectable {
    var expected: ModelExpectation {
        ModelExpectation("net_device_entry")
            .req("type", .e(Int32(bitPattern: type.rawValue)))
            .req("ifindex", .u(UInt64(index)))
            .req("mtu", .u(UInt64(mtu)))
            .req("flags", .u(UInt64(flags)))
            .req("name", .str(name.bytes))
            .opt("tun", tun.map { .m($0.expected) })
            .opt("address", address.map { .bytes($0) })
            .rep("conf", legacyConf.map { .s(Int64($0)) })
            .rep("conf4", ipv4Conf.map { .m($0.expected) })
            .rep("conf6", ipv6Conf.map { .m($0.expected) })
            .opt("macvlan", macvlan.map { .m($0.expected) })
            .opt("peer_ifindex", peerIndex.map { .u(UInt64($0)) })
            .opt("peer_nsid", peerNamespaceID.map { .u(UInt64($0)) })
            .opt("master", master.map { .u(UInt64($0)) })
            .opt("sit", sit.map { .m($0.expected) })
    }
}

extension TunLink: ModelExpectable {
    var expected: ModelExpectation {
        ModelExpectation("tun_link_entry")
            .req("flags", .u(UInt64(flags)))
            .req("owner", .s(Int64(owner)))
            .req("group", .s(Int64(group)))
            .req("vnethdr", .u(UInt64(vnetHeaderSize)))
            .req("sndbuf", .u(UInt64(sendBuffer)))
    }
}

extension MacvlanLink: ModelExpectable {
    var expected: ModelExpectation {
        ModelExpectation("macvlan_link_entry")
            .req("mode", .u(UInt64(mode)))
            .opt("flags", flags.map { .u(UInt64($0)) })
    }
}

extension SITTunnel: ModelExpectable {
    var expected: ModelExpectation {
        ModelExpectation("sit_entry")
            .opt("link", link.map { .u(UInt64($0)) })
            .rep("local", localWords.map { .u(UInt64($0)) })
            .rep("remote", remoteWords.map { .u(UInt64($0)) })
            .opt("ttl", ttl.map { .u(UInt64($0)) })
            .opt("tos", tos.map { .u(UInt64($0)) })
            .opt("pmtudisc", pathMTUDiscovery.map { .b($0) })
            .opt("proto", protocolNumber.map { .u(UInt64($0)) })
            .opt("flags", flags.map { .u(UInt64($0)) })
            .opt("encap_type", encapsulationType.map { .u(UInt64($0)) })
            .opt("encap_flags", encapsulationFlags.map { .u(UInt64($0)) })
            .opt("encap_sport", encapsulationSourcePort.map { .u(UInt64($0)) })
            .opt("encap_dport", encapsulationDestinationPort.map { .u(UInt64($0)) })
            .opt("rd_prefixlen", relayDomainPrefixLength.map { .u(UInt64($0)) })
            .rep("rd_prefix", relayDomainPrefixWords.map { .u(UInt64($0)) })
            .opt("relay_prefixlen", relayPrefixLength.map { .u(UInt64($0)) })
            .rep("relay_prefix", relayPrefixWords.map { .u(UInt64($0)) })
    }
}

extension UTSNamespace: ModelExpectable {
    var expected: ModelExpectation {
        ModelExpectation("utsns_entry")
            .req("nodename", .str(hostName.bytes))
            .req("domainname", .str(domainName.bytes))
    }
}

extension Cgroups: ModelExpectable {
    var expected: ModelExpectation {
        ModelExpectation("cgroup_entry")
            .rep("sets", sets.map { .m($0.expected) })
            .rep("controllers", controllers.map { .m($0.expected) })
    }
}

extension CgroupSet: ModelExpectable {
    var expected: ModelExpectation {
        ModelExpectation("cg_set_entry")
            .req("id", .u(UInt64(id)))
            .rep("ctls", members.map { .m($0.expected) })
    }
}

extension CgroupMember: ModelExpectable {
    var expected: ModelExpectation {
        ModelExpectation("cg_member_entry")
            .req("name", .str(controllers.bytes))
            .req("path", .str(path.bytes))
            .opt("cgns_prefix", namespacePrefixLength.map { .u(UInt64($0)) })
    }
}

extension CgroupController: ModelExpectable {
    var expected: ModelExpectation {
        ModelExpectation("cg_controller_entry")
            .rep("cnames", names.map { .str($0.bytes) })
            .rep("dirs", directories.map { .m($0.expected) })
            .opt("is_threaded", isThreaded.map { .b($0) })
    }
}

extension CgroupDirectory: ModelExpectable {
    var expected: ModelExpectation {
        ModelExpectation("cgroup_dir_entry")
            .req("dir_name", .str(name.bytes))
            .rep("children", children.map { .m($0.expected) })
            .rep("properties", properties.map { .m($0.expected) })
            .opt("dir_perms", permissions.map { .m($0.expected) })
    }
}

extension CgroupProperty: ModelExpectable {
    var expected: ModelExpectation {
        ModelExpectation("cgroup_prop_entry")
            .req("name", .str(name.bytes))
            .req("value", .str(value.bytes))
            .opt("perms", permissions.map { .m($0.expected) })
    }
}

extension CgroupPermissions: ModelExpectable {
    var expected: ModelExpectation {
        ModelExpectation("cgroup_perms")
            .req("mode", .u(UInt64(mode)))
            .req("uid", .u(UInt64(uid)))
            .req("gid", .u(UInt64(gid)))
    }
}

extension Seccomp: ModelExpectable {
    var expected: ModelExpectation {
        ModelExpectation("seccomp_entry")
            .rep("seccomp_filters", filters.map { .m($0.expected) })
    }
}

extension SeccompFilter: ModelExpectable {
    var expected: ModelExpectation {
        ModelExpectation("seccomp_filter")
            .req("filter", .bytes(program))
            .opt("prev", previous.map { .u(UInt64($0)) })
            .opt("flags", flags.map { .u(UInt64($0)) })
    }
}

extension TimeNamespace: ModelExpectable {
    var expected: ModelExpectation {
        ModelExpectation("timens_entry")
            .req("monotonic", .m(monotonic.expected))
            .req("boottime", .m(boottime.expected))
    }
}

extension Timespec: ModelExpectable {
    var expected: ModelExpectation {
        ModelExpectation("timespec")
            .req("tv_sec", .u(seconds))
            .req("tv_nsec", .u(nanoseconds))
    }
}

extension TTYInfo: ModelExpectable {
    var expected: ModelExpectation {
        ModelExpectation("tty_info_entry")
            .req("id", .u(UInt64(id)))
            .req("type", .e(Int32(bitPattern: type.rawValue)))
            .req("locked", .b(isLocked))
            .req("exclusive", .b(isExclusive))
            .req("packet_mode", .b(packetMode))
            .req("sid", .u(UInt64(sessionID)))
            .req("pgrp", .u(UInt64(foregroundGroup)))
            .req("rdev", .u(UInt64(rdev)))
            .opt("termios", termios.map { .m($0.expected) })
            .opt("termios_locked", lockedTermios.map { .m($0.expected) })
            .opt("winsize", windowSize.map { .m($0.expected) })
            .opt("pty", ptyIndex.map { .m($0.expected) })
            .opt("dev", device.map { .u(UInt64($0)) })
            .opt("uid", uid.map { .u(UInt64($0)) })
            .opt("gid", gid.map { .u(UInt64($0)) })
    }
}

extension Termios: ModelExpectable {
    var expected: ModelExpectation {
        ModelExpectation("termios_entry")
            .req("c_iflag", .u(UInt64(inputFlags)))
            .req("c_oflag", .u(UInt64(outputFlags)))
            .req("c_cflag", .u(UInt64(controlFlags)))
            .req("c_lflag", .u(UInt64(localFlags)))
            .req("c_line", .u(UInt64(lineDiscipline)))
            .req("c_ispeed", .u(UInt64(inputSpeed)))
            .req("c_ospeed", .u(UInt64(outputSpeed)))
            .rep("c_cc", controlCharacters.map { .u(UInt64($0)) })
    }
}

extension WindowSize: ModelExpectable {
    var expected: ModelExpectation {
        ModelExpectation("winsize_entry")
            .req("ws_row", .u(UInt64(rows)))
            .req("ws_col", .u(UInt64(columns)))
            .req("ws_xpixel", .u(UInt64(xPixels)))
            .req("ws_ypixel", .u(UInt64(yPixels)))
    }
}

extension PTYIndex: ModelExpectable {
    var expected: ModelExpectation {
        ModelExpectation("tty_pty_entry")
            .req("index", .u(UInt64(index)))
    }
}

extension SocketPacket: ModelExpectable {
    var expected: ModelExpectation {
        ModelExpectation("sk_packet_entry")
            .req("id_for", .u(UInt64(socketID)))
            .req("length", .u(UInt64(length)))
            .rep("scm", controlMessages.map { .m($0.expected) })
    }
}

extension ControlMessage: ModelExpectable {
    var expected: ModelExpectation {
        ModelExpectation("scm_entry")
            .req("type", .u(UInt64(type)))
            .rep("rights", rights.map { .u(UInt64($0)) })
    }
}

extension TCPStream: ModelExpectable {
    var expected: ModelExpectation {
        ModelExpectation("tcp_stream_entry")
            .req("inq_len", .u(UInt64(receiveQueueLength)))
            .req("inq_seq", .u(UInt64(receiveSequence)))
            .req("outq_len", .u(UInt64(sendQueueLength)))
            .req("outq_seq", .u(UInt64(sendSequence)))
            .req("opt_mask", .u(UInt64(optionMask)))
            .req("snd_wscale", .u(UInt64(sendWindowScale)))
            .req("mss_clamp", .u(UInt64(mssClamp)))
            .opt("rcv_wscale", receiveWindowScale.map { .u(UInt64($0)) })
            .opt("timestamp", timestamp.map { .u(UInt64($0)) })
            .opt("cork", cork.map { .b($0) })
            .opt("nodelay", noDelay.map { .b($0) })
            .opt("unsq_len", unsentLength.map { .u(UInt64($0)) })
            .opt("snd_wl1", sendWL1.map { .u(UInt64($0)) })
            .opt("snd_wnd", sendWindow.map { .u(UInt64($0)) })
            .opt("max_window", maxWindow.map { .u(UInt64($0)) })
            .opt("rcv_wnd", receiveWindow.map { .u(UInt64($0)) })
            .opt("rcv_wup", receiveWUP.map { .u(UInt64($0)) })
    }
}

extension GhostFile: ModelExpectable {
    var expected: ModelExpectation {
        ModelExpectation("ghost_file_entry")
            .req("uid", .u(UInt64(uid)))
            .req("gid", .u(UInt64(gid)))
            .req("mode", .u(UInt64(mode)))
            .opt("dev", device.map { .u(UInt64($0)) })
            .opt("ino", inode.map { .u($0) })
            .opt("rdev", rdev.map { .u(UInt64($0)) })
            .opt("atim", accessTime.map { .m($0.expected) })
            .opt("mtim", modificationTime.map { .m($0.expected) })
            .opt("chunks", isChunked.map { .b($0) })
            .opt("size", size.map { .u($0) })
            .opt("symlnk_target", symlinkTarget.map { .str($0.bytes) })
    }
}

extension GhostChunk: ModelExpectable {
    var expected: ModelExpectation {
        ModelExpectation("ghost_chunk_entry")
            .req("len", .u(length))
            .req("off", .u(offset))
    }
}

extension Timeval: ModelExpectable {
    var expected: ModelExpectation {
        ModelExpectation("timeval")
            .req("tv_sec", .u(seconds))
            .req("tv_usec", .u(microseconds))
    }
}

extension RemapFilePath: ModelExpectable {
    var expected: ModelExpectation {
        ModelExpectation("remap_file_path_entry")
            .req("orig_id", .u(UInt64(originalID)))
            .req("remap_id", .u(UInt64(remapID)))
            .opt("remap_type", type.map { .e(Int32(bitPattern: $0.rawValue)) })
    }
}

extension MemFDInode: ModelExpectable {
    var expected: ModelExpectation {
        ModelExpectation("memfd_inode_entry")
            .req("name", .str(name.bytes))
            .req("uid", .u(UInt64(uid)))
            .req("gid", .u(UInt64(gid)))
            .req("size", .u(size))
            .req("shmid", .u(UInt64(shmid)))
            .req("seals", .u(UInt64(seals.rawValue)))
            .req("inode_id", .u(inodeID))
            .opt("hugetlb_flag", hugeTLBFlags.map { .u(UInt64($0)) })
            .opt("mode", mode.map { .u(UInt64($0)) })
    }
}

extension PipeData: ModelExpectable {
    var expected: ModelExpectation {
        ModelExpectation("pipe_data_entry")
            .req("pipe_id", .u(UInt64(pipeID)))
            .req("bytes", .u(UInt64(byteCount)))
            .opt("size", pipeSize.map { .u(UInt64($0)) })
    }
}

extension Stats: ModelExpectable {
    var expected: ModelExpectation {
        ModelExpectation("stats_entry")
            .opt("dump", dump.map { .m($0.expected) })
            .opt("restore", restore.map { .m($0.expected) })
    }
}

extension DumpStats: ModelExpectable {
    var expected: ModelExpectation {
        ModelExpectation("dump_stats_entry")
            .req("freezing_time", .u(UInt64(freezingTime)))
            .req("frozen_time", .u(UInt64(frozenTime)))
            .req("memdump_time", .u(UInt64(memoryDumpTime)))
            .req("memwrite_time", .u(UInt64(memoryWriteTime)))
            .req("pages_scanned", .u(pagesScanned))
            .req("pages_skipped_parent", .u(pagesSkippedParent))
            .req("pages_written", .u(pagesWritten))
            .opt("irmap_resolve", irmapResolveTime.map { .u(UInt64($0)) })
            .req("pages_lazy", .u(pagesLazy))
            .opt("page_pipes", pagePipes.map { .u($0) })
            .opt("page_pipe_bufs", pagePipeBuffers.map { .u($0) })
            .opt("shpages_scanned", sharedPagesScanned.map { .u($0) })
            .opt("shpages_skipped_parent", sharedPagesSkippedParent.map { .u($0) })
            .opt("shpages_written", sharedPagesWritten.map { .u($0) })
    }
}

extension RestoreStats: ModelExpectable {
    var expected: ModelExpectation {
        ModelExpectation("restore_stats_entry")
            .req("pages_compared", .u(pagesCompared))
            .req("pages_skipped_cow", .u(pagesSkippedCOW))
            .req("forking_time", .u(UInt64(forkingTime)))
            .req("restore_time", .u(UInt64(restoreTime)))
            .opt("pages_restored", pagesRestored.map { .u($0) })
    }
}

extension ProcessTreeEntry: ModelExpectable {
    var expected: ModelExpectation {
        ModelExpectation("pstree_entry")
            .req("pid", .u(UInt64(pid)))
            .req("ppid", .u(UInt64(parentPID)))
            .req("pgid", .u(UInt64(processGroupID)))
            .req("sid", .u(UInt64(sessionID)))
            .rep("threads", threads.map { .u(UInt64($0)) })
    }
}

extension KernelObjectIDs: ModelExpectable {
    var expected: ModelExpectation {
        ModelExpectation("task_kobj_ids_entry")
            .req("vm_id", .u(UInt64(vmID)))
            .req("files_id", .u(UInt64(filesID)))
            .req("fs_id", .u(UInt64(fsID)))
            .req("sighand_id", .u(UInt64(sighandID)))
            .opt("pid_ns_id", pidNamespaceID.map { .u(UInt64($0)) })
            .opt("net_ns_id", netNamespaceID.map { .u(UInt64($0)) })
            .opt("ipc_ns_id", ipcNamespaceID.map { .u(UInt64($0)) })
            .opt("uts_ns_id", utsNamespaceID.map { .u(UInt64($0)) })
            .opt("mnt_ns_id", mountNamespaceID.map { .u(UInt64($0)) })
            .opt("user_ns_id", userNamespaceID.map { .u(UInt64($0)) })
            .opt("cgroup_ns_id", cgroupNamespaceID.map { .u(UInt64($0)) })
            .opt("time_ns_id", timeNamespaceID.map { .u(UInt64($0)) })
    }
}

extension TaskFS: ModelExpectable {
    var expected: ModelExpectation {
        ModelExpectation("fs_entry")
            .req("cwd_id", .u(UInt64(cwdID)))
            .req("root_id", .u(UInt64(rootID)))
            .opt("umask", umask.map { .u(UInt64($0)) })
    }
}

extension FileOwner: ModelExpectable {
    var expected: ModelExpectation {
        ModelExpectation("fown_entry")
            .req("uid", .u(UInt64(uid)))
            .req("euid", .u(UInt64(euid)))
            .req("signum", .u(UInt64(signal)))
            .req("pid_type", .u(UInt64(pidType)))
            .req("pid", .u(UInt64(pid)))
    }
}

extension SocketOptions: ModelExpectable {
    var expected: ModelExpectation {
        ModelExpectation("sk_opts_entry")
            .req("so_sndbuf", .u(UInt64(sendBuffer)))
            .req("so_rcvbuf", .u(UInt64(receiveBuffer)))
            .req("so_snd_tmo_sec", .u(sendTimeoutSeconds))
            .req("so_snd_tmo_usec", .u(sendTimeoutMicroseconds))
            .req("so_rcv_tmo_sec", .u(receiveTimeoutSeconds))
            .req("so_rcv_tmo_usec", .u(receiveTimeoutMicroseconds))
            .opt("reuseaddr", reuseAddress.map { .b($0) })
            .opt("so_priority", priority.map { .u(UInt64($0)) })
            .opt("so_rcvlowat", receiveLowWatermark.map { .u(UInt64($0)) })
            .opt("so_mark", mark.map { .u(UInt64($0)) })
            .opt("so_passcred", passCredentials.map { .b($0) })
            .opt("so_passsec", passSecurity.map { .b($0) })
            .opt("so_dontroute", dontRoute.map { .b($0) })
            .opt("so_no_check", noCheck.map { .b($0) })
            .opt("so_bound_dev", boundDevice.map { .str($0.bytes) })
            .rep("so_filter", filter.map { .u($0) })
            .opt("so_reuseport", reusePort.map { .b($0) })
            .opt("so_broadcast", broadcast.map { .b($0) })
            .opt("so_keepalive", keepAlive.map { .b($0) })
            .opt("tcp_keepcnt", tcpKeepCount.map { .u(UInt64($0)) })
            .opt("tcp_keepidle", tcpKeepIdle.map { .u(UInt64($0)) })
            .opt("tcp_keepintvl", tcpKeepInterval.map { .u(UInt64($0)) })
            .opt("so_oobinline", outOfBandInline.map { .u(UInt64($0)) })
            .opt("so_linger", linger.map { .u(UInt64($0)) })
            .opt("so_buf_lock", bufferLock.map { .u(UInt64($0)) })
    }
}

extension FileDescriptorInfo: ModelExpectable {
    var expected: ModelExpectation {
        ModelExpectation("fdinfo_entry")
            .req("id", .u(UInt64(id)))
            .req("flags", .u(UInt64(flags)))
            .req("type", .e(Int32(bitPattern: type.rawValue)))
            .req("fd", .u(UInt64(fd)))
            .opt("xattr_security_selinux", selinuxLabel.map { .str($0.bytes) })
    }
}

extension VMA: ModelExpectable {
    var expected: ModelExpectation {
        ModelExpectation("vma_entry")
            .req("start", .u(start))
            .req("end", .u(end))
            .req("pgoff", .u(pageOffset))
            .req("shmid", .u(shmid))
            .req("prot", .u(UInt64(protection.rawValue)))
            .req("flags", .u(UInt64(flags.rawValue)))
            .req("status", .u(UInt64(status.rawValue)))
            .req("fd", .s(fd))
            .opt("madv", madvise.map { .u($0) })
            .opt("fdflags", fileFlags.map { .u(UInt64($0)) })
    }
}

extension AIORing: ModelExpectable {
    var expected: ModelExpectation {
        ModelExpectation("aio_ring_entry")
            .req("id", .u(id))
            .req("nr_req", .u(UInt64(requestCount)))
            .req("ring_len", .u(UInt64(ringLength)))
    }
}

extension MemoryMap: ModelExpectable {
    var expected: ModelExpectation {
        ModelExpectation("mm_entry")
            .req("mm_start_code", .u(startCode))
            .req("mm_end_code", .u(endCode))
            .req("mm_start_data", .u(startData))
            .req("mm_end_data", .u(endData))
            .req("mm_start_stack", .u(startStack))
            .req("mm_start_brk", .u(startBrk))
            .req("mm_brk", .u(brk))
            .req("mm_arg_start", .u(argumentsStart))
            .req("mm_arg_end", .u(argumentsEnd))
            .req("mm_env_start", .u(environmentStart))
            .req("mm_env_end", .u(environmentEnd))
            .req("exe_file_id", .u(UInt64(exeFileID)))
            .rep("mm_saved_auxv", savedAuxv.map { .u($0) })
            .rep("vmas", vmas.map { .m($0.expected) })
            .opt("dumpable", dumpable.map { .s(Int64($0)) })
            .rep("aios", aioRings.map { .m($0.expected) })
            .opt("thp_disabled", thpDisabled.map { .b($0) })
    }
}

extension PagemapHead: ModelExpectable {
    var expected: ModelExpectation {
        ModelExpectation("pagemap_head")
            .req("pages_id", .u(UInt64(pagesID)))
    }
}

extension IntervalTimer: ModelExpectable {
    var expected: ModelExpectation {
        ModelExpectation("itimer_entry")
            .req("isec", .u(intervalSeconds))
            .req("iusec", .u(intervalMicroseconds))
            .req("vsec", .u(valueSeconds))
            .req("vusec", .u(valueMicroseconds))
    }
}

extension POSIXTimer: ModelExpectable {
    var expected: ModelExpectation {
        ModelExpectation("posix_timer_entry")
            .req("it_id", .u(UInt64(id)))
            .req("clock_id", .u(UInt64(clockID)))
            .req("si_signo", .u(UInt64(signal)))
            .req("it_sigev_notify", .u(UInt64(notify)))
            .req("sival_ptr", .u(signalValue))
            .req("overrun", .u(UInt64(overrun)))
            .req("isec", .u(intervalSeconds))
            .req("insec", .u(intervalNanoseconds))
            .req("vsec", .u(valueSeconds))
            .req("vnsec", .u(valueNanoseconds))
            .opt("notify_thread_id", notifyThreadID.map { .s(Int64($0)) })
    }
}

extension TaskTimers: ModelExpectable {
    var expected: ModelExpectation {
        ModelExpectation("task_timers_entry")
            .req("real", .m(real.expected))
            .req("virt", .m(virtual.expected))
            .req("prof", .m(profiling.expected))
            .rep("posix", posix.map { .m($0.expected) })
    }
}

extension ResourceLimit: ModelExpectable {
    var expected: ModelExpectation {
        ModelExpectation("rlimit_entry")
            .req("cur", .u(current))
            .req("max", .u(maximum))
    }
}

extension SignalAction: ModelExpectable {
    var expected: ModelExpectation {
        ModelExpectation("sa_entry")
            .req("sigaction", .u(handler))
            .req("flags", .u(flags))
            .req("restorer", .u(restorer))
            .req("mask", .u(mask))
            .opt("compat_sigaction", isCompat.map { .b($0) })
            .opt("mask_extended", maskExtended.map { .u($0) })
    }
}

extension SignalStack: ModelExpectable {
    var expected: ModelExpectation {
        ModelExpectation("thread_sas_entry")
            .req("ss_sp", .u(pointer))
            .req("ss_size", .u(size))
            .req("ss_flags", .u(UInt64(flags)))
    }
}

extension RestartableSequence: ModelExpectable {
    var expected: ModelExpectation {
        ModelExpectation("rseq_entry")
            .req("rseq_abi_pointer", .u(abiPointer))
            .req("rseq_abi_size", .u(UInt64(abiSize)))
            .req("signature", .u(UInt64(signature)))
            .opt("rseq_cs_pointer", criticalSectionPointer.map { .u($0) })
    }
}

extension X86TLSDescriptor: ModelExpectable {
    var expected: ModelExpectation {
        ModelExpectation("user_desc_t")
            .req("entry_number", .u(UInt64(entryNumber)))
            .req("base_addr", .u(UInt64(baseAddress)))
            .req("limit", .u(UInt64(limit)))
            .req("seg_32bit", .b(is32Bit))
            .req("contents_h", .b(contentsHigh))
            .req("contents_l", .b(contentsLow))
            .def("read_exec_only", .b(readExecOnly), .b(true))
            .req("limit_in_pages", .b(limitInPages))
            .def("seg_not_present", .b(segmentNotPresent), .b(true))
            .req("usable", .b(usable))
    }
}
