import CGEOS

extension GeometryContext {
  /// A point (`GEOSGeom_createPointFromXY_r`, NULL on exception).
  public func point(x: Double, y: Double) throws -> NativeGeometry {
    try owned(GEOSGeom_createPointFromXY_r(handle, x, y), "GEOSGeom_createPointFromXY_r")
  }

  /// A coordinate sequence filled from `points` (`GEOSCoordSeq_create_r`, NULL on exception;
  /// `GEOSCoordSeq_setXY_r`, 0 on exception). The caller hands it to a constructor that owns it.
  private func sequence(_ points: [(x: Double, y: Double)]) throws -> OpaquePointer {
    guard let sequence = GEOSCoordSeq_create_r(handle, UInt32(points.count), 2) else {
      throw error("GEOSCoordSeq_create_r")
    }
    for (index, point) in points.enumerated() {
      guard GEOSCoordSeq_setXY_r(handle, sequence, UInt32(index), point.x, point.y) != 0 else {
        GEOSCoordSeq_destroy_r(handle, sequence)
        throw error("GEOSCoordSeq_setXY_r")
      }
    }
    return sequence
  }

  /// A line string (`GEOSGeom_createLineString_r` takes the sequence; NULL on exception).
  public func lineString(_ points: [(x: Double, y: Double)]) throws -> NativeGeometry {
    let sequence = try sequence(points)
    guard let line = GEOSGeom_createLineString_r(handle, sequence) else {
      GEOSCoordSeq_destroy_r(handle, sequence)
      throw error("GEOSGeom_createLineString_r")
    }
    return NativeGeometry(context: self, pointer: line, owner: nil)
  }

  /// A polygon without holes from a closed ring (`GEOSGeom_createLinearRing_r` and
  /// `GEOSGeom_createPolygon_r`, each taking ownership of its input; NULL on exception).
  public func polygon(_ ring: [(x: Double, y: Double)]) throws -> NativeGeometry {
    var points = ring
    if let first = points.first, let last = points.last, first != last { points.append(first) }
    let sequence = try sequence(points)
    guard let shell = GEOSGeom_createLinearRing_r(handle, sequence) else {
      GEOSCoordSeq_destroy_r(handle, sequence)
      throw error("GEOSGeom_createLinearRing_r")
    }
    guard let polygon = GEOSGeom_createPolygon_r(handle, shell, nil, 0) else {
      GEOSGeom_destroy_r(handle, shell)
      throw error("GEOSGeom_createPolygon_r")
    }
    return NativeGeometry(context: self, pointer: polygon, owner: nil)
  }

  /// The Voronoi cells of `points` (`GEOSVoronoiDiagram_r`, NULL on exception), extended to
  /// cover `envelope`. One cell per distinct point, in no guaranteed order.
  public func voronoiCells(_ points: [(x: Double, y: Double)], envelope: Envelope) throws -> NativeGeometry {
    let parts = try points.map { try point(x: $0.x, y: $0.y) }
    let multi = try collection(.multiPoint, of: parts)
    let box = try rectangle(envelope)
    return try owned(GEOSVoronoiDiagram_r(handle, multi.pointer, box.pointer, 0, 0), "GEOSVoronoiDiagram_r")
  }
}
