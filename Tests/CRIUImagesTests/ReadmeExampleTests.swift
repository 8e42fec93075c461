import CRIUImages
import Testing

// No Foundation here: the README says decoding a single image needs only CRIUImages, and the example
// below is compiled with nothing else imported. `ReadmeExampleTextTests` checks that the lines between
// the markers are the README's code block (only the `...` placeholder for the bytes differs).

@Suite struct ReadmeExampleTests {
    @Test func pagemapExampleDecodesAPagemap() throws {
        // The example prints; collect what it prints instead.
        var printed: [String] = []
        func print(_ items: Any...) { printed.append(items.map { "\($0)" }.joined(separator: " ")) }

        // README example begin
        let bytes: [UInt8] = try Fixtures.bytes("raw/marker-static/pagemap-28716.img")
        let pagemap = try Pagemap.decode(bytes, fileName: "pagemap-1.img")
        for entry in pagemap.entries where entry.effectiveFlags.contains(.present) {
            print(String(entry.vaddr, radix: 16), entry.effectivePageCount)
        }
        let json = try CritJSON().render(bytes, fileName: "pagemap-1.img").serialized()  // = crit decode --pretty
        // README example end

        #expect(pagemap.pagesID == 1)
        #expect(printed == [
            "401000 1", "4a4000 5", "4a9000 1", "4ad000 1", "10000000 4", "173ad000 19", "7f8492220000 2", "7fffc547d000 3",
        ])
        // What crit decode --pretty printed for this image.
        let crit = String(decoding: try Fixtures.bytes("crit-json/marker-static/pagemap-28716.img.json"), as: UTF8.self)
        #expect(json == crit || json + "\n" == crit)
    }
}
