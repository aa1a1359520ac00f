@testable import ScollectETL
import Testing

struct CSVFormulaGuardTests {
    @Test func cellsASpreadsheetWouldRunGetALeadingQuote() {
        for cell in ["=HYPERLINK(\"http://x.example\",\"click\")", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A2)", "\tX", "\rX", "=1", "-", "+"] {
            #expect(CSVFormulaGuard.guarded(cell) == "'" + cell, "\(cell)")
        }
    }

    @Test func plainNumbersAndOrdinaryTextStay() {
        for cell in ["-12.50", "+3", "42", "0.5", "-7", "", "ACME", "2026-11-19", "a=b", " =x"] {
            #expect(CSVFormulaGuard.guarded(cell) == cell, "\(cell)")
        }
        for cell in ["-12.", "-.5", "+-1", "-1.2.3", "-1e5"] {
            #expect(CSVFormulaGuard.guarded(cell) == "'" + cell, "\(cell) is not a plain number")
        }
    }
}
