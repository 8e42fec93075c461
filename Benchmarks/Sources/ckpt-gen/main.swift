import CheckpointGen
#if canImport(Glibc)
import Glibc
#endif

let usage = """
usage: ckpt-gen --pages-size SIZE --out DIR [--twin DIR2] [--changed-fraction F] [--seed N]
               [--processes N] [--parent-fraction F] [--markers N] [--archives LIST] [--twin-archives LIST] [--quiet]

Writes a synthetic Podman checkpoint: DIR/checkpoint (CRIU images), DIR/pre-checkpoint (pre-dump,
checkpoint/parent -> ../pre-checkpoint), config.dump, spec.dump, stats-dump, network.status,
DIR/manifest.json (every planted fact), and DIR.tar, DIR.tar.gz, DIR.tar.zst.

  --pages-size SIZE       bytes of page data in checkpoint/pages-*.img (20MiB, 2GiB, 4096...)
  --twin DIR2             also write the same container with --changed-fraction of its pages rewritten
  --changed-fraction F    default 0.05
  --seed N                default 1
  --processes N           default 8 / 16 / 32 by size (one is a zombie)
  --parent-fraction F     pages in pre-checkpoint/ relative to --pages-size (default 0.08)
  --markers N             BENCH-MARKER-nnnnnn strings to plant (default max(16, pages/256))
  --archives LIST         comma list of tar,tar.gz,tar.zst or none (default all three)
  --twin-archives LIST    default tar
"""

func fail(_ message: String) -> Never {
    printError("ckpt-gen: \(message)\n\(usage)")
    exit(2)
}

func need<T>(_ value: T?, _ message: String) -> T {
    guard let value else { fail(message) }
    return value
}

func formats(_ text: String) -> [ArchiveFormat] {
    if text == "none" || text.isEmpty { return [] }
    return text.split(separator: ",").map { part in
        switch part {
        case "tar": .tar
        case "tar.gz", "gz", "gzip": .gzip
        case "tar.zst", "zst", "zstd": .zstd
        default: fail("unknown archive format \(part)")
        }
    }
}

var args = Array(CommandLine.arguments.dropFirst())
var size: UInt64?
var out: String?
var options: [(GeneratorConfig) -> GeneratorConfig] = []
var quiet = false
while !args.isEmpty {
    let flag = args.removeFirst()
    if flag == "-h" || flag == "--help" { print(usage); exit(0) }
    if flag == "--quiet" { quiet = true; continue }
    guard !args.isEmpty else { fail("\(flag) needs a value") }
    let value = args.removeFirst()
    switch flag {
    case "--pages-size": size = need(parseSize(value), "bad size \(value)")
    case "--out": out = value
    case "--twin": options.append { var c = $0; c.twin = value; return c }
    case "--changed-fraction": let f = need(Double(value), "bad fraction"); options.append { var c = $0; c.changedFraction = f; return c }
    case "--seed": let s = need(UInt64(value), "bad seed"); options.append { var c = $0; c.seed = s; return c }
    case "--processes": let n = need(Int(value), "bad count"); options.append { var c = $0; c.processes = n; return c }
    case "--parent-fraction": let f = need(Double(value), "bad fraction"); options.append { var c = $0; c.parentFraction = f; return c }
    case "--markers": let n = need(Int(value), "bad count"); options.append { var c = $0; c.markers = n; return c }
    case "--archives": let f = formats(value); options.append { var c = $0; c.archives = f; return c }
    case "--twin-archives": let f = formats(value); options.append { var c = $0; c.twinArchives = f; return c }
    default: fail("unknown option \(flag)")
    }
}
guard let size, let out else { fail("--pages-size and --out are required") }
var config = GeneratorConfig(pagesSize: size, out: out)
for o in options { config = o(config) }
config.verbose = !quiet
do {
    let result = try Generator(config: config).run()
    let l = result.layout
    print("wrote \(out): \(l.processes.count) processes, \(l.processes.reduce(0) { $0 + $1.threads.count }) threads, "
        + "\(l.processes.reduce(0) { $0 + $1.vmas.count }) VMAs, \(l.totalPresentPages) present + \(l.totalParentPages) parent pages, "
        + "\(l.markers.count) markers, \(result.changedPages) changed pages in twin; \(result.archives.count) archives; "
        + String(Int(result.seconds * 10)) + " ds")
} catch {
    printError("ckpt-gen: \(error)")
    exit(1)
}
