@testable import ScollectETL
import Testing

struct PipelineLoaderTests {
    static let valid = """
    name: test
    source:
      file: input.csv
    mapping:
      filenumber: Account
      firstname: First Name
      home_phone: Phone
    normalize:
      home_phone: phone
    writers:
      - updatedbase:
      - insertphone:
          phones:
            - { field: home_phone, type: HOME }
    target:
      url: sandbox
      requests_per_second: 10
    reports:
      folder: out
    """

    @Test func validPipelineLoadsWithDefaults() throws {
        let config = try PipelineLoader.parse(Self.valid, file: "/tmp/p/test.yml")
        #expect(config.name == "test")
        #expect(config.source.path == "/tmp/p/input.csv")
        #expect(config.reportsFolder == "/tmp/p/out")
        #expect(config.target.maxInFlight == 4)
        #expect(config.mapping.map(\.field) == ["filenumber", "firstname", "home_phone"])
        let updatedbase = try #require(config.writers.first as? UpdateDbaseWriter)
        // Defaults to mapped dbase fields, minus the key and what insertphone consumes.
        #expect(updatedbase.fields == ["firstname"])
    }

    @Test func unknownKeyIsNamedWithItsLineAndASuggestion() {
        let text = Self.valid.replacingOccurrences(of: "  requests_per_second: 10", with: "  requests_per_secnd: 10")
        #expect {
            try PipelineLoader.parse(text, file: "p.yml")
        } throws: { error in
            let error = error as! PipelineError
            return error.line == 17 && error.message.contains("requests_per_secnd") && error.message.contains("did you mean \"requests_per_second\"")
        }
    }

    @Test func unknownTopLevelKey() {
        #expect(throws: PipelineError.self) { try PipelineLoader.parse(Self.valid + "\nreport:\n  folder: x\n", file: "p.yml") }
    }

    @Test func unknownWriterAndUnknownDbaseField() {
        let badWriter = Self.valid.replacingOccurrences(of: "  - updatedbase:", with: "  - updatedbse:")
        #expect { try PipelineLoader.parse(badWriter, file: "p.yml") } throws: { ($0 as! PipelineError).message.contains("did you mean \"updatedbase\"") }
        let badField = Self.valid.replacingOccurrences(of: "  - updatedbase:", with: "  - updatedbase:\n      fields: [frstname]")
        #expect { try PipelineLoader.parse(badField, file: "p.yml") } throws: { ($0 as! PipelineError).message.contains("not a dbase field") }
    }

    @Test func normalizingAnUnmappedFieldIsAnError() {
        let text = Self.valid.replacingOccurrences(of: "  home_phone: phone", with: "  home_phone: phone\n  birthdate: date")
        #expect { try PipelineLoader.parse(text, file: "p.yml") } throws: { ($0 as! PipelineError).message.contains("not in the mapping") }
    }

    @Test func unknownNormalizerAndBadRate() {
        let text = Self.valid.replacingOccurrences(of: "  home_phone: phone", with: "  home_phone: phnoe")
        #expect { try PipelineLoader.parse(text, file: "p.yml") } throws: { ($0 as! PipelineError).message.contains("did you mean \"phone\"") }
        let rate = Self.valid.replacingOccurrences(of: "requests_per_second: 10", with: "requests_per_second: fast")
        #expect(throws: PipelineError.self) { try PipelineLoader.parse(rate, file: "p.yml") }
    }

    @Test func insertphoneNeedsPhoneNormalisedFields() {
        let text = Self.valid.replacingOccurrences(of: "  home_phone: phone", with: "  firstname: upper")
        #expect { try PipelineLoader.parse(text, file: "p.yml") } throws: { ($0 as! PipelineError).message.contains("must be normalised as a phone") }
    }

    @Test func missingFilenumberMappingAndDuplicateKeys() {
        let noKey = Self.valid.replacingOccurrences(of: "  filenumber: Account\n", with: "")
        #expect { try PipelineLoader.parse(noKey, file: "p.yml") } throws: { ($0 as! PipelineError).message.contains("filenumber") }
        let duplicate = Self.valid.replacingOccurrences(of: "  firstname: First Name", with: "  firstname: First Name\n  firstname: Name")
        #expect { try PipelineLoader.parse(duplicate, file: "p.yml") } throws: {
            let error = $0 as! PipelineError
            return error.message.contains("\"firstname\" appears twice") && error.line == 7
        }
    }

    @Test func yamlSyntaxErrorHasALine() {
        #expect { try PipelineLoader.parse("name: [unclosed\nsource: x", file: "p.yml") } throws: { ($0 as! PipelineError).line != nil }
    }

    @Test func realURLTargetAndBlankClearMarkerRefused() {
        let ftp = Self.valid.replacingOccurrences(of: "url: sandbox", with: "url: ftp://example")
        #expect(throws: PipelineError.self) { try PipelineLoader.parse(ftp, file: "p.yml") }
        let blank = Self.valid + "\noptions:\n  clear_marker: \" \"\n"
        #expect(throws: PipelineError.self) { try PipelineLoader.parse(blank, file: "p.yml") }
    }
}
