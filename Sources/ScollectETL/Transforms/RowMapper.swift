/// A mapped column that the input file does not have. Found before any call is made.
public struct MissingColumnError: Error, CustomStringConvertible {
    public let file: String
    public let pipelineFile: String
    public let line: Int?
    public let field: String
    public let column: String
    public let closestHeader: String?

    public var description: String {
        let place = line.map { "\(pipelineFile):\($0)" } ?? pipelineFile
        let hint = closestHeader.map { "; the closest header is \"\($0)\"" } ?? ""
        return "\(file): no column \"\(column)\" (mapped to \(field) at \(place))\(hint)"
    }
}

/// Applies the mapping and the normalisers to one source record. The result is a row ready
/// for the writers, or the issues that reject it. Pure and thread-safe.
public struct RowMapper: Sendable {
    struct Slot: Sendable {
        let field: String
        let column: String
        let columnIndex: Int
        let normalizer: any Normalizer
        let onError: PipelineConfig.OnError
    }

    let slots: [Slot]
    let filenumberSlot: Int
    let clearMarker: String?

    /// Resolves every mapped column against the header: exact first, then ignoring case, spaces
    /// and punctuation (`Social Security #` = `social_security`).
    public init(config: PipelineConfig, header: [String], inputFile: String) throws {
        let keys = header.map(RowMapper.columnKey)
        var slots: [Slot] = []
        for mapping in config.mapping {
            let wanted = mapping.column.trimmingCharacters(in: .whitespaces)
            guard let index = header.firstIndex(of: wanted) ?? keys.firstIndex(of: RowMapper.columnKey(wanted)) else {
                throw MissingColumnError(file: inputFile, pipelineFile: config.file, line: mapping.line, field: mapping.field,
                                         column: mapping.column, closestHeader: closestMatch(to: wanted, in: header))
            }
            let normalization = config.normalizations[mapping.field]!
            slots.append(Slot(field: mapping.field, column: header[index], columnIndex: index,
                              normalizer: normalization.normalizer, onError: normalization.onError))
        }
        self.slots = slots
        self.filenumberSlot = slots.firstIndex { $0.field == "filenumber" }!
        self.clearMarker = config.clearMarker
    }

    static func columnKey(_ name: String) -> String {
        String(name.lowercased().unicodeScalars.filter { CharacterSet.alphanumerics.contains($0) }.map(Character.init))
    }

    public enum Outcome: Sendable {
        case row(NormalizedRow)
        /// The first issue is the reason; all issues are named in the reject line's message.
        case rejected(issues: [RowIssue], warnings: [RowIssue])
    }

    public func map(_ record: SourceRecord) -> Outcome {
        var values: [String: FieldValue] = [:]
        var issues: [RowIssue] = []
        var warnings: [RowIssue] = []
        for slot in slots {
            let raw = record.value(at: slot.columnIndex)
            if let clearMarker, raw.trimmingCharacters(in: .whitespaces) == clearMarker {
                values[slot.field] = .clear
                continue
            }
            switch slot.normalizer.normalize(raw) {
            case .blank:
                continue
            case let .value(value, warning):
                values[slot.field] = .value(value)
                if let warning { warnings.append(RowIssue(warning.code, field: slot.field, "\(slot.column): \(warning.message)")) }
            case let .invalid(reason, message):
                let issue = RowIssue(reason, field: slot.field, "\(slot.column) \"\(raw)\": \(message)")
                if slot.onError == .dropField && slot.field != "filenumber" {
                    warnings.append(RowIssue(.fieldDropped, field: slot.field, "\(issue.message) — field dropped, row kept"))
                } else {
                    issues.append(issue)
                }
            }
        }
        if values["filenumber"] == nil || values["filenumber"] == .clear {
            issues.insert(RowIssue(.missingFilenumber, field: "filenumber", "\(slots[filenumberSlot].column) is blank: no account to write to"), at: 0)
        }
        guard issues.isEmpty, case let .value(filenumber)? = values["filenumber"] else {
            return .rejected(issues: issues, warnings: warnings)
        }
        return .row(NormalizedRow(record: record, filenumber: filenumber.uppercased(), values: values, warnings: warnings))
    }
}

import Foundation
