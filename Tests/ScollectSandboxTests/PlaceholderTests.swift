import Testing
@testable import ScollectSandbox
@Test func placeholder() {}
