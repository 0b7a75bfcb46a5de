/// A square greyscale drawing surface in normalised coordinates: x to the right and y downwards, both
/// in [0, 1], pixel (i, j) centred at ((i + 0.5) / S, (j + 0.5) / S). Intensities are Float in [0, 1]
/// before the scanner model maps them to 8 bits.
///
/// Shapes have a one-pixel soft edge, so a lesion keeps its area at any image size.
struct Canvas {
    /// The side length S in pixels.
    let size: Int
    /// The intensities, (S, S) row-major.
    var values: [Float]

    /// A canvas of `size` × `size` pixels filled with `value`.
    init(size: Int, value: Float) {
        self.size = size
        values = [Float](repeating: value, count: size * size)
    }

    /// How paint combines with what is below it.
    enum Blend {
        /// Moves the pixel towards the value (opaque paint).
        case set(Float)
        /// Adds the amount (translucent structures, e.g. ribs over lung).
        case add(Float)
    }

    /// Paints the ellipse centred at (`x`, `y`) with radii `radiusX`, `radiusY` (fractions of the width).
    /// - Parameter mask: When given, only pixels where it returns true are painted (clipping to an organ).
    mutating func ellipse(x: Float, y: Float, radiusX: Float, radiusY: Float, _ blend: Blend,
                          where mask: ((Float, Float) -> Bool)? = nil) {
        let scale = Float(size)
        let pixelRadius = max(min(radiusX, radiusY) * scale, 0.5)
        let columns = pixelRange(x - radiusX - 1 / scale, x + radiusX + 1 / scale)
        let rows = pixelRange(y - radiusY - 1 / scale, y + radiusY + 1 / scale)
        guard !columns.isEmpty, !rows.isEmpty else { return }
        for row in rows {
            let py = (Float(row) + 0.5) / scale
            let dy = (py - y) / radiusY
            for column in columns {
                let px = (Float(column) + 0.5) / scale
                let dx = (px - x) / radiusX
                let distance = (dx * dx + dy * dy).squareRoot()
                // Coverage falls from 1 to 0 over one pixel around the outline.
                let coverage = min(max((1 - distance) * pixelRadius + 0.5, 0), 1)
                guard coverage > 0 else { continue }
                if let mask, !mask(px, py) { continue }
                let index = row * size + column
                switch blend {
                case .set(let value): values[index] += coverage * (value - values[index])
                case .add(let amount): values[index] += coverage * amount
                }
            }
        }
    }

    /// Visits every pixel centre in the box [x0, x1] × [y0, y1], letting `body` rewrite its value.
    mutating func forEachPixel(x0: Float, x1: Float, y0: Float, y1: Float,
                               _ body: (_ x: Float, _ y: Float, _ value: inout Float) -> Void) {
        let scale = Float(size)
        for row in pixelRange(y0, y1) {
            let py = (Float(row) + 0.5) / scale
            for column in pixelRange(x0, x1) {
                body((Float(column) + 0.5) / scale, py, &values[row * size + column])
            }
        }
    }

    /// A 3-tap box blur along rows then columns, `passes` times (a scanner's point-spread function).
    mutating func blur(passes: Int) {
        guard passes > 0, size > 2 else { return }
        var scratch = values
        for _ in 0..<passes {
            for row in 0..<size {
                let base = row * size
                for column in 0..<size {
                    let left = values[base + max(column - 1, 0)], right = values[base + min(column + 1, size - 1)]
                    scratch[base + column] = (left + values[base + column] + right) * (1 / 3)
                }
            }
            for row in 0..<size {
                let up = max(row - 1, 0) * size, down = min(row + 1, size - 1) * size, base = row * size
                for column in 0..<size {
                    values[base + column] = (scratch[up + column] + scratch[base + column] + scratch[down + column]) * (1 / 3)
                }
            }
        }
    }

    /// The pixel indices whose centres lie in [from, to] (normalised), clipped to the canvas.
    private func pixelRange(_ from: Float, _ to: Float) -> Range<Int> {
        let scale = Float(size)
        let first = max(Int((from * scale - 0.5).rounded(.up)), 0)
        let last = min(Int((to * scale - 0.5).rounded(.down)), size - 1)
        return first <= last ? first..<(last + 1) : 0..<0
    }
}
