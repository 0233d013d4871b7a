import Foundation
import Synchronization

/// Work split in parts, each part on its own core at once, with each input moved to its worker and each output
/// back (never a second reference, so an array a worker changes is changed where it lies, not copied: the report's
/// parts are tens of megabytes).
enum OnAllCores {
  /// `transform` of each of `inputs`, in their order; `inputs` is emptied as they are handed out. For a transform
  /// that reads its input (one that changes it would change a copy: `update` changes in place).
  static func map<Input: Sendable, Output: Sendable>(
    _ inputs: inout [Input], _ transform: @Sendable (consuming Input) -> Output
  ) -> [Output] {
    let count = inputs.count
    let keeping = Mutex<(inputs: [Int: Input], outputs: [Int: Output])>(([:], [:]))
    for index in (0..<count).reversed() {
      let input = inputs.removeLast()
      keeping.withLock { $0.inputs[index] = input }
    }
    DispatchQueue.concurrentPerform(iterations: count) { index in
      let input = keeping.withLock { $0.inputs.removeValue(forKey: index)! }
      let output = transform(input)
      keeping.withLock { $0.outputs[index] = output }
    }
    return (0..<count).map { index in keeping.withLock { $0.outputs.removeValue(forKey: index)! } }
  }

  /// `change` applied to each of `items` where it lies.
  static func update<Item: Sendable>(_ items: inout [Item], _ change: @Sendable (inout Item) -> Void) {
    let count = items.count
    let keeping = Mutex<[Int: Item]>([:])
    for index in (0..<count).reversed() {
      let item = items.removeLast()
      keeping.withLock { $0[index] = item }
    }
    DispatchQueue.concurrentPerform(iterations: count) { index in
      // Taken out of the dictionary: the only reference, so changed where it lies.
      var item = keeping.withLock { $0.removeValue(forKey: index)! }
      change(&item)
      keeping.withLock { $0[index] = item }
    }
    items = (0..<count).map { index in keeping.withLock { $0.removeValue(forKey: index)! } }
  }
}
