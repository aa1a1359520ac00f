@testable import ScollectETL
import Testing

/// Card numbers in free text (server messages, raw text of broken rows), however spaced.
struct CardNumberScannerTests {
    @Test func cardNumbersBrokenBySpacesOrDashesAreMasked() {
        #expect(CardNumberScanner.mask("card 5123 7782 6024 1684 declined") == "card 5123 77** **** 1684 declined")
        #expect(CardNumberScanner.mask("5123-7782-6024-1684,9876") == "5123-77**-****-1684,9876")
        #expect(CardNumberScanner.mask("amex 3782 822463 10005.") == "amex 3782 82**** *0005.")
        // Unbroken runs of 13–19 digits are masked, Luhn or not (as before).
        #expect(CardNumberScanner.mask("x 5123778260241685 y") == "x 512377******1685 y")
    }

    @Test func theLongestLuhnValidWindowWinsAndNeighboursStay() {
        // A 19-digit Visa in 4-4-4-4-3 groups is not cut at 16 digits.
        let nineteen = "4000 0000 0000 0000 006"
        #expect(CardNumberScanner.passesLuhn(Array(nineteen.filter(\.isNumber).utf8)))
        #expect(CardNumberScanner.mask(nineteen) == "4000 00** **** ***0 006")
        // A reference before the card is left alone, the card is masked.
        #expect(CardNumberScanner.mask("ref 12345678 4111 1111 1111 1111") == "ref 12345678 4111 11** **** 1111")
    }

    @Test func ordinaryNumbersAreLeftAlone() {
        #expect(CardNumberScanner.mask("phone 205-555-0134, 205-555-0135") == "phone 205-555-0134, 205-555-0135")
        #expect(CardNumberScanner.mask("dates 2026-11-19 2026-11-20") == "dates 2026-11-19 2026-11-20")
        // 16 digits in groups that fail the Luhn check: not a card.
        #expect(CardNumberScanner.mask("1234 5678 1234 5678") == "1234 5678 1234 5678")
    }

    @Test func serverMessagesAreMaskedForBrokenNumbersAndSSNs() {
        #expect(Masking.maskFreeText("card 5123-7782-6024-1684 for 598 63 9594 refused")
            == "card 5123-77**-****-1684 for ***-**-9594 refused")
        #expect(Masking.maskSSNs(in: "SSN of 111-22-3333 not found") == "SSN of ***-**-3333 not found")
    }
}
