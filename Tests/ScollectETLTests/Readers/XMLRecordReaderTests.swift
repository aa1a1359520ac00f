import CZlib
import Foundation
import ScollectTestSupport
import Testing
@testable import ScollectETL
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// Fixtures: Tests/Fixtures/xml (hand-written; each says what it is for in a comment).

private func fixture(_ name: String) -> String { repositoryPath("Tests/Fixtures/xml/" + name) }

private func read(_ bytes: [UInt8], record: String?, columns: [String] = [], limits: RecordReaderLimits = .init(),
                  chunkSize: Int = 64 * 1024, step: Int = .max) throws -> ReadBack {
    try readAll(XMLRecordReader(source: MemoryByteSource(bytes, step: step), path: "test.xml", recordElement: record, columns: columns,
                                limits: limits, chunkSize: chunkSize))
}

private func read(_ text: String, record: String?, columns: [String] = [], limits: RecordReaderLimits = .init(),
                  chunkSize: Int = 64 * 1024) throws -> ReadBack {
    try read(Array(text.utf8), record: record, columns: columns, limits: limits, chunkSize: chunkSize)
}

private func readFile(_ path: String, record: String?, columns: [String] = [], limits: RecordReaderLimits = .init()) throws -> ReadBack {
    try readAll(XMLRecordReader(path: path, recordElement: record, columns: columns, limits: limits))
}

/// The description of the `ReaderError` that opening and reading all of `path` throws, and the
/// records read before it.
private func failure(path: String, record: String = "Account", limits: RecordReaderLimits = .init()) -> (error: String, records: [SourceRecord]) {
    var records: [SourceRecord] = []
    do {
        let reader = try XMLRecordReader(path: path, recordElement: record, limits: limits)
        while let item = try reader.next() {
            if case .record(let record) = item { records.append(record) }
        }
        return ("no error", records)
    } catch let error as ReaderError {
        return (error.description, records)
    } catch {
        return ("other error: \(error)", records)
    }
}


/// A TCP listener on 127.0.0.1 (a free port) that never accepts on its own: `connectionArrived`
/// says whether anyone connected.
private final class LoopbackListener {
    let fd: Int32
    let port: UInt16

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ReaderError.ioError(path: "socket", reason: "socket() failed") }
        self.fd = fd
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        guard bound == 0, listen(fd, 8) == 0 else { throw ReaderError.ioError(path: "socket", reason: "bind/listen failed") }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        port = UInt16(bigEndian: address.sin_port)
    }

    deinit { close(fd) }

    /// True when a connection is waiting (or arrives within `milliseconds`).
    func connectionArrived(within milliseconds: Int32 = 200) -> Bool {
        var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&descriptor, 1, milliseconds) > 0
    }
}

private let refusal = "they are not expanded (XXE / billion laughs protection)"

@Suite("XMLRecordReader")
struct XMLRecordReaderTests {
    // MARK: - Records and values

    @Test func namespacesAttributesCDATAAndWhitespace() throws {
        let result = try readFile(fixture("accounts.xml"), record: "Account")
        #expect(result.header == ["@number", "@status", "Debtor/Name", "Debtor/SSN", "Debtor/Phones/Phone", "Debtor/Phones/Phone/@type",
                                  "Debtor/Phones/Phone[2]", "Debtor/Phones/Phone[2]/@type", "Notes", "MiddleName"])
        #expect(result.malformed.isEmpty)
        #expect(result.records.count == 3)
        let first = result.records[0]
        #expect(first["@number"] == "R1")
        #expect(first["@status"] == "open")
        #expect(first["Debtor/Name"] == "MUÑOZ, José")
        #expect(first["Debtor/SSN"] == "123-45-6789")
        #expect(first["Debtor/Phones/Phone"] == "205-555-0101")
        #expect(first["Debtor/Phones/Phone/@type"] == "home")
        #expect(first["Debtor/Phones/Phone[2]"] == "205-555-0102")
        #expect(first["Debtor/Phones/Phone[2]/@type"] == "cell")
        #expect(first["Notes"] == "Owes <b>&amp;</b> \"more\" and then some")
        #expect(first["MiddleName"] == "")
        // Records nested at another depth (inside x:Batch, and straight under the root).
        #expect(result.records[1]["@number"] == "R2")
        #expect(result.records[1]["Debtor/Phones/Phone/@type"] == "work")
        #expect(result.records[1]["Notes"] == "a < b && c > d éé")
        #expect(result.records[1]["Debtor/Phones/Phone[2]"] == "")
        #expect(result.records[2]["Debtor/Name"] == "LAST")
        #expect(result.rows.map(\.row) == [1, 2, 3])
        #expect(result.rows.map(\.line) == [5, 21, 27])
    }

    @Test func recordPathForms() throws {
        let path = fixture("accounts.xml")
        // From the root: only the accounts directly under Accounts.
        #expect(try readFile(path, record: "Placement/Accounts/Account").records.map { $0["@number"] } == ["R1"])
        #expect(try readFile(path, record: "/p:Placement/p:Accounts/Account").records.map { $0["@number"] } == ["R1"])
        #expect(try readFile(path, record: "Placement/Account").records.map { $0["@number"] } == ["R3"])
        // A tail anywhere.
        #expect(try readFile(path, record: "//Batch/Account").records.map { $0["@number"] } == ["R2"])
        #expect(try readFile(path, record: "Account").records.map { $0["@number"] } == ["R1", "R2", "R3"])
    }

    @Test func columnsResolveExactlyOrAreLeftOut() throws {
        let result = try readFile(fixture("accounts.xml"), record: "Account",
                                  columns: ["Debtor/Phones/Phone[1]", "ns:Debtor/ns:Name", "Debtor", "Debtor/Phone", "@number"])
        #expect(result.header.suffix(3) == ["Debtor/Phones/Phone[1]", "ns:Debtor/ns:Name", "Debtor"])
        #expect(!result.header.contains("Debtor/Phone"))
        #expect(result.records[0]["Debtor/Phones/Phone[1]"] == "205-555-0101")
        #expect(result.records[0]["ns:Debtor/ns:Name"] == "MUÑOZ, José")
        #expect(result.records[0]["Debtor"] == "")
    }

    @Test func pathsFirstSeenAfterTheHeaderScanAreIgnored() throws {
        var limits = RecordReaderLimits()
        limits.headerScanRecords = 1
        let text = "<r><a><x>1</x></a><a><x>2</x><late>3</late></a></r>"
        let result = try read(text, record: "a", limits: limits)
        #expect(result.header == ["x"])
        #expect(result.records == [["x": "1"], ["x": "2"]])
    }

    @Test func chunkBoundariesChangeNothing() throws {
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: fixture("accounts.xml"))))
        let whole = try read(bytes, record: "Account")
        for chunk in [1, 2, 3, 7] {
            let pieces = try read(bytes, record: "Account", chunkSize: chunk, step: 5)
            #expect(pieces.header == whole.header)
            #expect(pieces.records == whole.records)
            #expect(pieces.rows.map(\.line) == whole.rows.map(\.line))
        }
    }

    @Test func samplePlacementFileThroughItsPipeline() throws {
        let config = try PipelineLoader.load(path: repositoryPath("Pipelines/nightly-placement-xml.yml"))
        let record = try #require(config.source.readerOptions() as? XMLRecordReader.SourceOptions).record
        #expect(record == "Placement/Accounts/Account")
        let reader = try ReaderRegistry.open(config.source)
        // Every mapped column is in the header, so the mapper resolves them all.
        let mapper = try RowMapper(config: config, header: reader.header, inputFile: config.source.path)
        let result = try readAll(reader)
        #expect(result.malformed.isEmpty)
        #expect(result.records.count == 218)
        #expect(result.records.first?["@number"] == "R3001")
        #expect(result.records.first?["Debtor/SSN"] == "598639594")
        let first = try XMLRecordReader(path: config.source.path, recordElement: record, columns: config.source.columns)
        guard case .record(let record)? = try first.next(), case .row(let row) = mapper.map(record) else {
            Issue.record("the first account did not map")
            return
        }
        #expect(row.filenumber == "R3001")
        #expect(row["socialsecuritynumber"] == .value("598-63-9594"))
    }

    // MARK: - Configuration

    @Test func recordOptionIsRequired() {
        for record in [nil, "", "  "] as [String?] {
            #expect(throws: ReaderError.cannotOpen(path: "test.xml", reason: "the XML reader needs source.record: the element that holds one record (a name such as Account, or a path such as Placement/Accounts/Account)")) {
                _ = try read("<r/>", record: record)
            }
        }
    }

    @Test func noMatchingElementIsANotice() throws {
        let result = try read("<Placement><Acount/></Placement>", record: "Account")
        #expect(result.records.isEmpty)
        #expect(result.notices == ["test.xml: no element matches source.record \"Account\" (the root element is <Placement>); the file holds no records"])
    }

    // MARK: - Security

    @Test func externalEntityIsRefusedBeforeAnythingIsRead() {
        let (error, records) = failure(path: fixture("xxe-file.xml"))
        #expect(error.hasPrefix("\(fixture("xxe-file.xml")): cannot open: the file declares XML entities; \(refusal)"))
        #expect(error.contains("<!ENTITY at line 4"))
        #expect(records.isEmpty)
    }

    @Test func refusalDoesNotDependOnWhereChunksEnd() throws {
        for name in ["xxe-file.xml", "xxe-parameter.xml", "billion-laughs.xml", "undeclared-entity.xml"] {
            let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: fixture(name))))
            for chunk in [1, 2, 5] {
                let error = #expect(throws: ReaderError.self) { _ = try read(bytes, record: "Account", chunkSize: chunk, step: 3) }
                #expect(error?.description.contains(refusal) == true, "\(name), chunk \(chunk)")
            }
        }
    }

    @Test func xincludeIsNotProcessed() throws {
        let text = """
        <r xmlns:xi="http://www.w3.org/2001/XInclude"><Account><a><xi:include href="file:///etc/passwd" parse="text"/></a></Account></r>
        """
        let result = try read(text, record: "Account")
        #expect(result.records == [["a/include": "", "a/include/@href": "file:///etc/passwd", "a/include/@parse": "text"]])
    }

    @Test func parameterEntityIsRefused() {
        let (error, records) = failure(path: fixture("xxe-parameter.xml"))
        #expect(error.contains(refusal))
        #expect(records.isEmpty)
    }

    @Test func billionLaughsIsRefusedFast() {
        let started = Date()
        let (error, records) = failure(path: fixture("billion-laughs.xml"), record: "Account")
        #expect(error.contains(refusal))
        #expect(records.isEmpty)
        #expect(Date().timeIntervalSince(started) < 1)
    }

    @Test func undeclaredEntityReferenceIsRefused() {
        let (error, records) = failure(path: fixture("undeclared-entity.xml"))
        #expect(error.hasSuffix(": cannot open: the file declares XML entities; \(refusal): entity reference &secret; at line 6"))
        #expect(records.isEmpty)
    }

    @Test func entityReferenceFarIntoTheFileStopsItThereAndLeaksNothing() throws {
        // 5,000 good records, then one referring to an entity: the screen refuses the file when
        // it reads that part, before libxml2 sees it; the records before it came through.
        var text = "<r>\n"
        for index in 1...5000 { text += "<Account><n>\(index) &amp; &#x41;&#66;</n></Account>\n" }
        text += "<Account><n>&secret;</n></Account>\n</r>\n"
        var limits = RecordReaderLimits()
        limits.headerScanRecords = 1
        let (error, records) = failure(path: try temporaryReaderFile("late-entity.xml", Array(text.utf8)), limits: limits)
        #expect(error.contains(": read error: ") == false)
        #expect(error.contains("the file declares XML entities; \(refusal): entity reference &secret; at line 5002"))
        #expect(records.count > 100 && records.count < 5000)
        #expect(records.first?.values == ["1 & AB"])
        #expect(!records.contains { $0.values.joined().contains("secret") })
    }

    @Test func networkEntityIsRefusedWithoutAnyConnection() throws {
        let listener = try LoopbackListener()
        let url = "http://127.0.0.1:\(listener.port)/"
        let entity = "<?xml version=\"1.0\"?>\n<!DOCTYPE r [ <!ENTITY net SYSTEM \"\(url)\"> ]>\n<r><Account><a>&net;</a></Account></r>\n"
        let (error, records) = failure(path: try temporaryReaderFile("net.xml", Array(entity.utf8)))
        #expect(error.contains(refusal))
        #expect(records.isEmpty)
        #expect(!listener.connectionArrived())

        // An external DTD is never fetched either (no DTDLOAD, NONET): the records are read.
        let external = "<?xml version=\"1.0\"?>\n<!DOCTYPE r SYSTEM \"\(url)r.dtd\">\n<r><Account><a>1</a></Account></r>\n"
        let result = try readFile(try temporaryReaderFile("dtd.xml", Array(external.utf8)), record: "Account")
        #expect(result.records == [["a": "1"]])
        #expect(!listener.connectionArrived())
    }

    @Test func entityDeclaredInALocalExternalDTDIsNotExpanded() throws {
        let folder = try makeTemporaryDirectory("xml-dtd")
        try "<!ENTITY leak \"LEAKED TEXT\">".write(toFile: folder + "/defs.dtd", atomically: true, encoding: .utf8)
        let text = "<?xml version=\"1.0\"?>\n<!DOCTYPE r SYSTEM \"file://\(folder)/defs.dtd\">\n<r><Account><a>&leak;</a></Account></r>\n"
        let path = folder + "/doc.xml"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        let (error, records) = failure(path: path)
        #expect(error.contains("entity reference &leak;"))
        #expect(records.isEmpty)

        // The external subset is not even read: a broken one changes nothing.
        try "<!ENTITY broken SYSTEM".write(toFile: folder + "/broken.dtd", atomically: true, encoding: .utf8)
        let plain = folder + "/plain.xml"
        try "<?xml version=\"1.0\"?>\n<!DOCTYPE r SYSTEM \"file://\(folder)/broken.dtd\">\n<r><Account><a>1</a></Account></r>\n"
            .write(toFile: plain, atomically: true, encoding: .utf8)
        #expect(try readFile(plain, record: "Account").records == [["a": "1"]])
    }

    @Test func markupThatOnlyLooksLikeEntitiesIsFine() throws {
        let text = """
        <?xml version="1.0"?>
        <!DOCTYPE r [
          <!-- <!ENTITY in a comment> -->
          <!ELEMENT r ANY>
          <!ATTLIST Account kind CDATA "x > y">
        ]>
        <r><?pi &nothing; ?><!-- &nothing; --><Account kind="a &amp; b &#60;"><a><![CDATA[&nothing; <!ENTITY x "y">]]></a></Account></r>
        """
        let result = try read(text, record: "Account")
        #expect(result.records == [["@kind": "a & b <", "a": "&nothing; <!ENTITY x \"y\">"]])
    }

    // MARK: - Rejected records and broken files

    @Test func invalidUTF8InAValueRejectsTheRecordNamingTheByteOffset() throws {
        let bytes = Array("<r>\n<Account><a>ok</a></Account>\n<Account><a>x".utf8) + [0xC3, 0x28] + Array("y</a><b id=\"".utf8) + [0xFF]
            + Array("\"/></Account>\n<Account><a>fine</a></Account>\n</r>".utf8)
        for chunk in [64 * 1024, 1, 3] {
            let result = try read(bytes, record: "Account", chunkSize: chunk)
            #expect(result.records.map { $0["a"] } == ["ok", "fine"])
            #expect(result.rows.map(\.row) == [1, 3])
            #expect(result.malformed.count == 1)
            #expect(result.malformed.first?.row == 2)
            #expect(result.malformed.first?.line == 3)
            #expect(result.malformed.first?.message == "invalid UTF-8 at byte offset 46")
            #expect(result.malformed.first?.rawText == "a=x?(y; b/@id=?; b=")
        }
    }

    @Test func invalidUTF8InMarkupEndsTheFileNamingTheOffset() throws {
        let bytes = Array("<r><Account><a>1</a></Account><Acc".utf8) + [0xFF] + Array("ount><a>2</a></Acc".utf8) + [0xFF] + Array("ount></r>".utf8)
        let path = try temporaryReaderFile("bad-name.xml", bytes)
        let (error, _) = failure(path: path)
        #expect(error.hasPrefix("\(path): cannot open: not well-formed XML (line 1: "))
        #expect(error.hasSuffix("; the file has invalid UTF-8 at byte offset 34"))
    }

    @Test func recordLargerThanTheLimitIsRejected() throws {
        var limits = RecordReaderLimits()
        limits.maxRecordBytes = 30
        let big = String(repeating: "x", count: 100)
        let result = try read("<r><A><v>1</v></A><A><v>\(big)</v><w>2</w></A><A><v>3</v></A></r>", record: "A", limits: limits)
        // `w` is only in the rejected record, so it is not in the header.
        #expect(result.records == [["v": "1"], ["v": "3"]])
        #expect(result.malformed.map(\.message) == ["record larger than 30 bytes"])
        #expect(result.malformed.map(\.row) == [2])
    }

    @Test func notWellFormedXMLNamesTheLine() throws {
        let small = try temporaryReaderFile("broken.xml", Array("<r>\n<Account><a>1</a></Account>\n<Account><a>2</b></Account>\n</r>\n".utf8))
        #expect(failure(path: small).error == "\(small): cannot open: not well-formed XML (line 3: Opening and ending tag mismatch: a line 3 and b)")

        // Past the header scan: the records before the error come through, then a read error.
        var text = "<r>\n"
        for index in 1...3000 { text += "<Account><a>\(index)</a></Account>\n" }
        text += "<Account><a>x</b></Account>\n</r>\n"
        let large = try temporaryReaderFile("broken-late.xml", Array(text.utf8))
        var limits = RecordReaderLimits()
        limits.headerScanRecords = 1
        let (error, records) = failure(path: large, limits: limits)
        #expect(error == "\(large): read error: not well-formed XML (line 3002: Opening and ending tag mismatch: a line 3002 and b)")
        #expect(records.count > 2900 && records.count <= 3000)
    }

    // MARK: - Files and encodings

    @Test func gzipFilesAndRegistry() throws {
        let text = Array("<r><Account id=\"1\"><a>x</a></Account></r>".utf8)
        for (name, gzip) in [("accounts.xml.gz", true), ("accounts.xml", false), ("gzip-named-plain.xml", true)] {
            let path = try temporaryReaderFile(name, text, gzip: gzip)
            #expect(ReaderRegistry.entry(forPath: path)?.name == "xml")
            var source = PipelineConfig.Source(path: path, reader: "xml", words: [("record", "Account")])
            source.columns = ["a"]
            #expect(try readAll(ReaderRegistry.open(source)).records == [["@id": "1", "a": "x"]])
        }
    }

    @Test func declaredLatin1AndUTF16AreTranscoded() throws {
        let bom: [UInt8] = [0xEF, 0xBB, 0xBF] + Array("<?xml version=\"1.0\"?><r><Account><n>é</n></Account></r>".utf8)
        #expect(try read(bom, record: "Account").records == [["n": "é"]])
        let latin1: [UInt8] = Array("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><r><Account><n>MU".utf8) + [0xD1] + Array("OZ</n></Account></r>".utf8)
        #expect(try read(latin1, record: "Account").records == [["n": "MUÑOZ"]])
        let units = Array("<?xml version=\"1.0\" encoding=\"UTF-16\"?><r><Account><n>José</n></Account></r>".utf16)
        let utf16: [UInt8] = [0xFF, 0xFE] + units.flatMap { unit -> [UInt8] in [UInt8(unit & 0xFF), UInt8(unit >> 8)] }
        #expect(try read(utf16, record: "Account").records == [["n": "José"]])
        #expect(throws: ReaderError.cannotOpen(path: "test.xml", reason: "the XML declaration names encoding \"EBCDIC-US\"; supported are UTF-8, UTF-16, ISO-8859-1 and Windows-1252")) {
            _ = try read("<?xml version='1.0' encoding='EBCDIC-US'?><r/>", record: "Account")
        }
    }
}
