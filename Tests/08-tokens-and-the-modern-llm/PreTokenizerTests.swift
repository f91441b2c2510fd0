import Testing
@testable import TokensAndTheModernLLM

@Suite struct PreTokenizerTests {
    @Test func placeholder() { #expect(GPT2PreTokenizer.pieces("a  b") == ["a", " ", " b"]) }
}
