// In-process decoding benchmarks (ordo-one/benchmark). Run from Benchmarks/:
//
//   swift package --disable-sandbox benchmark --target DecodeBenchmarks
//
// The images are synthetic (CheckpointGen) and built in memory before measuring.
import Benchmark
import CheckpointGen
import CRIUImages

/// A 2 GiB-tier layout: its pagemaps hold ~35,000 entries in all, its largest ~12,000.
let bigLayout = Generator.layout(GeneratorConfig(pagesSize: 2 << 30, out: "/nonexistent"))
let bigImages = Generator.metadataImages(bigLayout)
let pagemaps = bigImages.filter { $0.name.hasPrefix("pagemap-") }
let pagemapEntries = pagemaps.reduce(0) { total, image in
    total + ((try? ImageFile.parse(image.bytes, fileName: image.name).entries.count) ?? 0) - 1
}
let protobufImages = bigImages.filter { image in
    (try? ImageFile.parse(image.bytes, fileName: image.name)).map { !$0.kind.isRaw } ?? false
}
let protobufEntries = protobufImages.reduce(0) { total, image in
    total + ((try? ImageFile.parse(image.bytes, fileName: image.name).entries.count) ?? 0)
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .instructions, .mallocCountTotal, .peakMemoryResident],
        warmupIterations: 2,
        maxDuration: .seconds(3),
        maxIterations: 1000
    )

    // Throughput is reported per iteration; divide by the entry count for entries per second.
    Benchmark("Pagemap.decode, all pagemaps (\(pagemapEntries) entries)") { benchmark in
        for _ in benchmark.scaledIterations {
            for image in pagemaps {
                blackHole(try Pagemap.decode(image.bytes, fileName: image.name))
            }
        }
    }

    Benchmark("ImageFile.parse only, every protobuf image (\(protobufImages.count) images)") { benchmark in
        for _ in benchmark.scaledIterations {
            for image in protobufImages {
                blackHole(try ImageFile.parse(image.bytes, fileName: image.name))
            }
        }
    }

    Benchmark("GenericDecoder, every entry of every image (\(protobufEntries) entries)") { benchmark in
        let decoder = GenericDecoder()
        for _ in benchmark.scaledIterations {
            for image in protobufImages {
                try image.bytes.withUnsafeBytes { buffer in
                    let file = try ImageFile.parse(buffer, fileName: image.name)
                    for entry in file.entries {
                        blackHole(try decoder.decode(entry, in: buffer))
                    }
                }
            }
        }
    }

    Benchmark("Typed decode: mm, pagemap, core of every process") { benchmark in
        let mms = protobufImages.filter { $0.name.hasPrefix("mm-") }
        let cores = protobufImages.filter { $0.name.hasPrefix("core-") }
        for _ in benchmark.scaledIterations {
            for image in mms { blackHole(try decodeEntries(MemoryMap.self, from: image.bytes, fileName: image.name)) }
            for image in cores { blackHole(try decodeEntries(Core.self, from: image.bytes, fileName: image.name)) }
            for image in pagemaps { blackHole(try Pagemap.decode(image.bytes, fileName: image.name)) }
        }
    }
}
