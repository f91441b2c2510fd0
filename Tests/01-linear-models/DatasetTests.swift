// Datasets: the bundled iris file, CSV validation, splits and standardisation.

import BackpropCore
import Datasets
import LinearModels
import TestSupport
import Testing

@Suite struct DatasetTests {
    @Test("iris loads: 150 rows, 4 features, 50 of each species")
    func iris() throws {
        let d = try BundledData.iris()
        #expect(d.count == 150 && d.featureCount == 4)
        #expect(d.classNames == ["setosa", "versicolor", "virginica"])
        #expect((0..<3).map { k in d.labels.filter { $0 == k }.count } == [50, 50, 50])
    }

    @Test("a split is a seeded partition: disjoint, complete, reproducible")
    func split() throws {
        let d = try BundledData.iris()
        let a = try d.split(trainFraction: 0.6, validationFraction: 0.2, seed: 9)
        let b = try d.split(trainFraction: 0.6, validationFraction: 0.2, seed: 9)
        #expect(a.train.count == 90 && a.validation.count == 30 && a.test.count == 30)
        #expect(a.train.features == b.train.features && a.test.labels == b.test.labels)
        // Every flower appears exactly once across the three parts.
        let rows = [a.train, a.validation, a.test].flatMap { part in (0..<part.count).map { part.features.row($0).scalars } }
        #expect(Set(rows.map { $0.description }).count == Set((0..<150).map { d.features.row($0).scalars.description }).count)
        #expect(rows.count == 150)
        #expect(throws: TensorError.self) { try d.split(trainFraction: 0.9, validationFraction: 0.2, seed: 1) }
    }

    @Test("standardised training features have mean 0 and standard deviation 1")
    func standardizer() throws {
        let d = try BundledData.iris()
        let z = try Standardizer(fitting: d.features).transform(d.features)
        for j in 0..<4 {
            let col = (0..<150).map { Double(z.scalars[$0 * 4 + j]) }
            let mean = col.reduce(0, +) / 150
            let variance = col.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 150
            #expect(abs(mean) < 1e-5 && abs(variance - 1) < 1e-4)
        }
    }

    @Test("malformed CSV gives an error naming the line", arguments: [
        ("3,1,a,b\n1,0\n2,1\n", "promises 3 rows"),
        ("1,0\n2,x\n", "'x' is not a class label"),
        ("1,0\n2,3,1\n", "2 features, expected 1"),
        ("1,0\nnan,1\n", "not a finite number"),
        ("2,1,a,b\n1,0\n1,5\n", "label 5"),
    ])
    func malformed(text: String, message: String) {
        let header: CSV.Header = text.hasPrefix("1,0") ? .none : .countsAndClassNames
        let error = #expect(throws: DataError.self) { try CSV.parseLabelled(text, path: "t.csv", name: "t", header: header) }
        #expect(error?.description.contains(message) == true, "\(String(describing: error))")
    }
}
