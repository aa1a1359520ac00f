import Foundation
import Testing
@testable import ScollectETL

/// `trimmingSpaces()` is Foundation's `trimmingCharacters(in: .whitespaces)` made cheap, and
/// `lowercasedIfNeeded()` the standard library's `lowercased()`: the oracles are those two, over
/// every pairing of ends a value can have.
@Suite struct ASCIIFastPathsTests {
    static let ends = ["", " ", "\t", "  \t ", "\u{00A0}", "\u{3000}", " \u{2003}", "\r", "\n", "\u{0B}", "\u{0C}", "x", "é", " é", "\u{00A0} a"]
    static let middles = ["", "a", "4,000", " inner  space ", "Dé Sousa", "\u{00A0}", "\t", "null", "🙂"]

    @Test func itTrimsExactlyWhatFoundationTrims() {
        var compared = 0
        for head in Self.ends {
            for middle in Self.middles {
                for tail in Self.ends {
                    let text = head + middle + tail
                    #expect(text.trimmingSpaces() == text.trimmingCharacters(in: .whitespaces), "\(Array(text.unicodeScalars))")
                    let sub = ("[" + text + "]").dropFirst().dropLast()
                    #expect(sub.trimmingSpaces() == sub.trimmingCharacters(in: .whitespaces))
                    compared += 1
                }
            }
        }
        #expect(compared == Self.ends.count * Self.middles.count * Self.ends.count)
    }

    @Test func itLowersExactlyWhatTheStandardLibraryLowers() {
        for text in ["", "fieldvalue", "FieldValue", "SSN", "socialsecuritynumber", "Ünïcode", "ÉCOLE", "İstanbul", "ß", "a1_-", "ΣΑΣ"] {
            #expect(text.lowercasedIfNeeded() == text.lowercased(), "\(text)")
        }
    }
}
