// The chapters the command line knows, in reading order: the one list that
// `tour`, `figures`, `bench`, `train` and the help iterate over. Adding a
// chapter is one file in Chapters/ and one entry here.

enum Book {
    static let chapters: [BookChapter] = [
        .linearModels,            // 1
        .backpropagation,         // 2
        .automaticDifferentiation, // 3
        .wordEmbeddings,          // 4
        .convolutionalNetworks,   // 5
        .recurrentNetworks,       // 6
        .transformer,             // 7
        .tokensAndTheModernLLM,   // 8
        .modelAsAService,         // 9
    ]

    /// Every `train` model, in chapter order.
    static var models: [Command] { chapters.flatMap(\.models) }
}
