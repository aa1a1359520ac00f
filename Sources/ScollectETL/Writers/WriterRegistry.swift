/// Every writer a pipeline can name under `writers:`. A new writer is one file plus one line here.
public enum WriterRegistry {
    public static let all: [any APIWriter.Type] = [
        UpdateDbaseWriter.self,
        InsertPhoneWriter.self,
        InsertPaymentWriter.self,
        InsertPayplanWriter.self,
        InsertNotelineWriter.self,
        InsertAttemptWriter.self,
        UpdatePhoneWriter.self,
        UpdatePermissionsWriter.self,
        CreateCallbackWriter.self,
        UpdatePaymentExternalWriter.self,
        FactorsNetworkNoteWriter.self,
    ]

    public static func writer(named name: String) -> (any APIWriter.Type)? {
        all.first { $0.name == name }
    }

    public static var names: [String] { all.map { $0.name } }
}
