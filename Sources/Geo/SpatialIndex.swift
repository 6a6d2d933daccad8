import CGEOS

/// An STRtree of envelopes mapping to integer ids (`GEOSSTRtree_create_r`), freed with
/// `GEOSSTRtree_destroy_r`. GEOS 3.11 builds the tree on the first query; insert everything
/// first.
public final class SpatialIndex {
  /// Collects the ids the query callback receives through its `userdata`.
  final class Hits {
    var ids: [Int] = []
  }

  let context: GeometryContext
  private let tree: OpaquePointer
  /// The envelope geometries handed to the tree: it refers to them, so they live as long.
  private var boxes: [NativeGeometry] = []

  /// `GEOSSTRtree_create_r` (NULL on exception).
  public init(context: GeometryContext, nodeCapacity: Int = 10) throws {
    guard let tree = GEOSSTRtree_create_r(context.handle, nodeCapacity) else {
      throw context.error("GEOSSTRtree_create_r")
    }
    self.context = context
    self.tree = tree
  }

  deinit { GEOSSTRtree_destroy_r(context.handle, tree) }

  /// Inserts `id` under `envelope` (`GEOSSTRtree_insert_r`, void; errors surface at query).
  public func insert(_ envelope: Envelope, id: Int) throws {
    precondition(id >= 0, "SpatialIndex ids must be non-negative")
    let box = try context.rectangle(envelope)
    boxes.append(box)
    // The item pointer carries the id + 1, so id 0 is not a null pointer.
    GEOSSTRtree_insert_r(context.handle, tree, box.pointer, UnsafeMutableRawPointer(bitPattern: id + 1))
  }

  /// The ids whose envelope intersects `envelope`, sorted (`GEOSSTRtree_query_r`, void).
  public func query(_ envelope: Envelope) throws -> [Int] {
    let box = try context.rectangle(envelope)
    let hits = Hits()
    withExtendedLifetime(hits) {
      GEOSSTRtree_query_r(
        context.handle, tree, box.pointer,
        { item, userdata in
          guard let userdata else { return }
          let hits = Unmanaged<Hits>.fromOpaque(userdata).takeUnretainedValue()
          hits.ids.append(Int(bitPattern: item) - 1)
        }, Unmanaged.passUnretained(hits).toOpaque())
    }
    if let message = context.sink.lastError {
      context.sink.lastError = nil
      throw GeoError.geos(function: "GEOSSTRtree_query_r", message: message)
    }
    return hits.ids.sorted()
  }
}
