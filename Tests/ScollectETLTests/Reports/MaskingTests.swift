@testable import ScollectETL
import Testing

struct MaskingTests {
    @Test func credentialsAndCardDataAreMasked() {
        let body = JSONValue.strings([("apikey", "BwsxgFT1cj4gbpmHnMCU"), ("pin", "C2C"), ("cardnumber", "4111111111111111"),
                                      ("threedigitnumber", "111"), ("payorname", "John Doe")])
        let masked = Masking.mask(body).serialized
        #expect(!masked.contains("BwsxgFT1cj4gbpmHnMCU"))
        #expect(!masked.contains("\"C2C\""))
        #expect(masked.contains("\"cardnumber\":\"411111******1111\""))
        #expect(masked.contains("\"threedigitnumber\":\"***\""))
        #expect(masked.contains("John Doe"))
    }

    @Test func updatedbaseSSNValueIsMaskedByItsFieldName() {
        let body = JSONValue.strings([("filenumber", "R1"), ("fieldname", "socialsecuritynumber"), ("fieldvalue", "012-34-5678")])
        #expect(Masking.mask(body).serialized.contains("\"fieldvalue\":\"***-**-5678\""))
    }

    @Test func ssnsInFreeTextKeepLastFour() {
        #expect(Masking.maskSSNs(in: "SSN of 111-22-3333 not found") == "SSN of ***-**-3333 not found")
        #expect(Masking.maskSSNs(in: "raw 123456789 end") == "raw *****6789 end")
        #expect(Masking.maskSSNs(in: "phone 205-555-0134") == "phone 205-555-0134")
        #expect(Masking.maskSSNs(in: "10 digits 2055550134") == "10 digits 2055550134")
    }
}
