/// libxml2's `xmlTextReader` node types, for the XML and XLSX readers.
enum XMLNodeType {
    static let element: Int32 = 1
    static let text: Int32 = 3
    static let cdata: Int32 = 4
    static let entityReference: Int32 = 5
    static let documentType: Int32 = 10
    static let whitespace: Int32 = 13
    static let significantWhitespace: Int32 = 14
    static let endElement: Int32 = 15

    /// Text, CDATA or whitespace: the node types that carry a value's characters.
    static func carriesText(_ type: Int32) -> Bool {
        type == text || type == cdata || type == whitespace || type == significantWhitespace
    }
}
