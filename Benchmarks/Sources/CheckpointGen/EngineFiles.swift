/// config.dump, spec.dump and network.status as Podman writes them (abridged).
enum EngineFiles {
    static func config(_ layout: CheckpointLayout) -> JSON {
        .object([
            ("id", .string(layout.containerID)),
            ("name", .string(layout.containerName)),
            ("rootfsImageID", .string(String(layout.containerID.reversed()))),
            ("rootfsImageName", .string("localhost/bench-app:latest")),
            ("RawImageName", .string("localhost/bench-app:latest")),
            ("rootfsImage", .string(String(layout.containerID.reversed()))),
            ("rootfsImageRef", .string("localhost/bench-app:latest")),
            ("command", .strings(["/usr/bin/tini", "--", "/entrypoint.sh"])),
            ("stopSignal", .int(15)),
            ("createdTime", .string("2026-11-29T14:01:46.750604855Z")),
            ("checkpointedTime", .string("2026-11-29T14:09:12.118274113Z")),
            ("restoredTime", .string("0001-01-01T00:00:00Z")),
            ("restored", .bool(false)),
            ("runtime", .string("crun")),
            ("cgroupManager", .string("systemd")),
            ("cgroupsMode", .string("enabled")),
            ("logDriver", .string("k8s-file")),
            ("logPath", .string("/var/lib/containers/storage/overlay-containers/\(layout.containerID)/userdata/ctr.log")),
            ("umask", .string("0022")),
            ("networkMode", .string("bridge")),
        ])
    }

    static func spec(_ layout: CheckpointLayout) -> JSON {
        let caps = JSON.strings(["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL", "CAP_NET_BIND_SERVICE",
                                 "CAP_SETFCAP", "CAP_SETGID", "CAP_SETPCAP", "CAP_SETUID", "CAP_SYS_CHROOT"])
        let mounts: [JSON] = layout.mounts.reversed().filter { $0.mountpoint != "/" }.map { m in
            .object([("destination", .string(m.mountpoint)), ("type", .string(m.extKey != nil ? "bind" : m.source)),
                     ("source", .string(m.extKey != nil ? m.root : m.source)),
                     ("options", .strings(m.options.isEmpty ? ["nosuid", "noexec", "nodev"] : m.options.split(separator: ",").map(String.init)))])
        }
        return .object([
            ("ociVersion", .string("1.0.2-dev")),
            ("process", .object([
                ("terminal", .bool(false)),
                ("user", .object([("uid", .int(0)), ("gid", .int(0)), ("umask", .int(18))])),
                ("args", .strings(["/usr/bin/tini", "--", "/entrypoint.sh"])),
                ("env", .strings(["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm",
                                  "container=podman", "HOSTNAME=\(layout.containerID.prefix(12))", "HOME=/root"])),
                ("cwd", .string("/app")),
                ("capabilities", .object([("bounding", caps), ("effective", caps), ("permitted", caps)])),
                ("rlimits", .array([.object([("type", .string("RLIMIT_NOFILE")), ("hard", .int(1_048_576)), ("soft", .int(1_048_576))])])),
                ("oomScoreAdj", .int(0)),
            ])),
            ("root", .object([("path", .string("/var/lib/containers/storage/overlay/\(layout.containerID.prefix(32))/merged"))])),
            ("hostname", .string(String(layout.containerID.prefix(12)))),
            ("mounts", .array(mounts)),
            ("annotations", .object([
                ("io.container.manager", .string("libpod")),
                ("io.kubernetes.cri-o.Created", .string("2026-11-29T14:01:46.750604855Z")),
                ("io.kubernetes.cri-o.TTY", .string("false")),
                ("io.podman.annotations.autoremove", .string("FALSE")),
                ("io.podman.annotations.init", .string("FALSE")),
                ("io.podman.annotations.privileged", .string("FALSE")),
                ("io.podman.annotations.publish-all", .string("FALSE")),
                ("org.opencontainers.image.stopSignal", .string("15")),
            ])),
            ("linux", .object([
                ("namespaces", .array(["pid", "network", "ipc", "uts", "mount", "cgroup"].map { .object([("type", .string($0))]) })),
                ("cgroupsPath", .string("machine.slice:libpod:\(layout.containerID)")),
            ])),
        ])
    }

    static func network(_ layout: CheckpointLayout) -> JSON {
        .object([("podman", .object([("interfaces", .object([("eth0", .object([
            ("subnets", .array([.object([("ipnet", .string("10.88.0.17/16")), ("gateway", .string("10.88.0.1"))])])),
            ("mac_address", .string("8a:3f:c2:11:5e:07")),
        ]))]))]))])
    }
}
