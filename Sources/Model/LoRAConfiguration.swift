import Foundation

/// Which layers get LoRA adapters and how (PEFT's `LoraConfig`, the fields Tessera supports).
public struct LoRAConfiguration: Equatable, Sendable {
    /// PEFT's `target_modules`: names matched as the last components of module paths
    /// (`"q_proj"` matches `….self_attn.q_proj` in the vision tower too), or one regular
    /// expression that must match a whole module path.
    public enum Targets: Equatable, Sendable {
        case names([String])
        case pattern(String)
    }

    public var rank: Int
    public var alpha: Float
    public var dropout: Float = 0
    public var targets: Targets
    public var useRSLoRA = false
    /// Modules trained in full beside the adapters (PEFT's `modules_to_save`).
    public var modulesToSave: [String] = []
    /// FFA-LoRA: A stays as initialised (or as loaded), only B trains.
    public var freezeA = false

    public init(rank: Int, alpha: Float, targets: Targets, dropout: Float = 0, useRSLoRA: Bool = false,
                modulesToSave: [String] = [], freezeA: Bool = false) {
        self.rank = rank
        self.alpha = alpha
        self.targets = targets
        self.dropout = dropout
        self.useRSLoRA = useRSLoRA
        self.modulesToSave = modulesToSave
        self.freezeA = freezeA
    }

    /// `α/r`, or `α/√r` with rsLoRA.
    public var scale: Float { useRSLoRA ? alpha / Float(rank).squareRoot() : alpha / Float(rank) }

    /// Whether PEFT would adapt the module at `path` (`check_target_module_exists`).
    public func targets(path: String) -> Bool {
        switch targets {
        case .names(let names):
            return names.contains { path == $0 || path.hasSuffix("." + $0) }
        case .pattern(let pattern):
            guard let expression = try? NSRegularExpression(pattern: "^(?:\(pattern))$") else { return false }
            return expression.firstMatch(in: path, range: NSRange(path.startIndex..., in: path)) != nil
        }
    }

    /// Whether the parameter at `path` belongs to a module in `modulesToSave` (PEFT matches module
    /// names by suffix).
    public func savesInFull(parameterPath path: String) -> Bool {
        modulesToSave.contains { module in path.hasPrefix(module + ".") || path.contains("." + module + ".") }
    }
}
