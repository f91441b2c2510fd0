// Dispatch from RecurrentLayer's time loop to a cell's elementwise step
// (ElmanCell, LSTMCell, GRUCell), choosing the lanes: `SIMD8<Float>` in the
// SIMD twin for Float when H is a multiple of 8, else one scalar at a time
// (the naive twin always; Double always, as in the core kernels).

import BackpropCore

extension RecurrentLayer {
    @inline(__always)
    static func cast<V: GateLanes>(_ p: UnsafeMutablePointer<Scalar>, _: V.Type) -> UnsafeMutablePointer<V.Scalar> {
        UnsafeMutableRawPointer(p).assumingMemoryBound(to: V.Scalar.self)
    }

    @inline(__always)
    static func castConst<V: GateLanes>(_ p: UnsafePointer<Scalar>, _: V.Type) -> UnsafePointer<V.Scalar> {
        UnsafeRawPointer(p).assumingMemoryBound(to: V.Scalar.self)
    }

    /// One forward step of the cell (see each cell's file for the equations).
    /// The input projections p are pre's rows, or with `gather` = (ids of
    /// these rows, table Q) the table's rows Q[id] (read where they lie,
    /// never copied into pre); either way pre receives the activations.
    static func cellForward(
        _ kind: CellKind, naive: Bool, rows: Int, hidden: Int,
        pre: UnsafeMutablePointer<Scalar>, gather: (ids: UnsafePointer<Int>, table: UnsafePointer<Scalar>)? = nil,
        hw: UnsafeMutablePointer<Scalar>, hPrev: UnsafeMutablePointer<Scalar>,
        h: UnsafeMutablePointer<Scalar>, cPrev: UnsafeMutablePointer<Scalar>?, c: UnsafeMutablePointer<Scalar>?,
        tanhC: UnsafeMutablePointer<Scalar>?, hwn: UnsafeMutablePointer<Scalar>?
    ) {
        let width = kind.gateCount * hidden
        func run<V: GateLanes>(_ v: V.Type) {
            let own = UnsafePointer(cast(pre, v))
            let table = gather.map { (ids: $0.ids, rows: castConst($0.table, v)) }
            @inline(__always) func input(_ b: Int) -> UnsafePointer<V.Scalar> {
                if let table { return table.rows + table.ids[b] * width }
                return own + b * width
            }
            switch kind {
            case .rnn:
                ElmanCell.forward(v, rows: rows, hidden: hidden, pre: cast(pre, v), input: input, hw: UnsafePointer(cast(hw, v)), h: cast(h, v))
            case .lstm:
                LSTMCell.forward(v, rows: rows, hidden: hidden, pre: cast(pre, v), input: input, hw: UnsafePointer(cast(hw, v)),
                                 cPrev: UnsafePointer(cast(cPrev!, v)), c: cast(c!, v), tanhC: cast(tanhC!, v), h: cast(h, v))
            case .gru:
                GRUCell.forward(v, rows: rows, hidden: hidden, pre: cast(pre, v), input: input, hw: UnsafePointer(cast(hw, v)),
                                hPrev: UnsafePointer(cast(hPrev, v)), hwn: cast(hwn!, v), h: cast(h, v))
            }
        }
        if Scalar.self == Float.self {
            if !naive && hidden % 8 == 0 { run(SIMD8<Float>.self) } else { run(Float.self) }
        } else {
            run(Double.self)
        }
    }

    /// One backward step of the cell: ∂L/∂p into dPre, ∂L/∂q into dPreH (GRU
    /// only; the others share dPre), dc updated in place (LSTM), dh′ ⊙ z into
    /// dhDirect (GRU). dh′ = dh + dy when the step's output gradient dy is
    /// given (added as the cell reads dh, not in a pass of its own).
    static func cellBackward(
        _ kind: CellKind, naive: Bool, rows: Int, hidden: Int,
        dh: UnsafeMutablePointer<Scalar>, dy: UnsafePointer<Scalar>? = nil, act: UnsafePointer<Scalar>, hPrev: UnsafePointer<Scalar>, h: UnsafePointer<Scalar>,
        dc: UnsafeMutablePointer<Scalar>?, cPrev: UnsafePointer<Scalar>?, tanhC: UnsafePointer<Scalar>?, hwn: UnsafePointer<Scalar>?,
        dPre: UnsafeMutablePointer<Scalar>, dPreH: UnsafeMutablePointer<Scalar>, dhDirect: UnsafeMutablePointer<Scalar>?
    ) {
        func run<V: GateLanes>(_ v: V.Type) {
            switch kind {
            case .rnn:
                ElmanCell.backward(v, rows: rows, hidden: hidden, dh: UnsafePointer(cast(dh, v)), dy: dy.map { castConst($0, v) },
                                   act: castConst(act, v), dPre: cast(dPre, v))
            case .lstm:
                LSTMCell.backward(v, rows: rows, hidden: hidden, dh: UnsafePointer(cast(dh, v)), dy: dy.map { castConst($0, v) },
                                  dc: cast(dc!, v), act: castConst(act, v),
                                  cPrev: castConst(cPrev!, v), tanhC: castConst(tanhC!, v), dPre: cast(dPre, v))
            case .gru:
                GRUCell.backward(v, rows: rows, hidden: hidden, dh: UnsafePointer(cast(dh, v)), dy: dy.map { castConst($0, v) },
                                 act: castConst(act, v),
                                 hPrev: castConst(hPrev, v), hwn: castConst(hwn!, v), dPre: cast(dPre, v), dPreH: cast(dPreH, v),
                                 dhDirect: cast(dhDirect!, v))
            }
        }
        if Scalar.self == Float.self {
            if !naive && hidden % 8 == 0 { run(SIMD8<Float>.self) } else { run(Float.self) }
        } else {
            run(Double.self)
        }
    }
}
