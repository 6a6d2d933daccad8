import Foundation
import Geo
import NodoTestSupport
import Testing

@Suite("CRS identification")
struct CRSTests {
  @Test("the ESRI CTM12 family and the compound CTM12 + EGM96 are EPSG:9377")
  func ctm12Variants() throws {
    let params =
      #"GEOGCS["GCS_MAGNA",DATUM["D_MAGNA",SPHEROID["GRS_1980",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Transverse_Mercator"],PARAMETER["False_Easting",5000000.0],PARAMETER["False_Northing",2000000.0],PARAMETER["Central_Meridian",-73.0],PARAMETER["Scale_Factor",0.9992],PARAMETER["Latitude_Of_Origin",4.0],UNIT["Meter",1.0]]"#
    for name in ["CTM12", "CTM_12", "MAGNA_Colombia_Origen_Unico"] {
      let crs = try CRSIdentifier.identify("PROJCS[\"\(name)\",\(params)")
      #expect(crs.epsg == 9377, "\(name)")
      #expect(crs.confidence == 100)
      #expect(crs.method == .equivalentParameters)
      #expect(!crs.hadVerticalPart)
    }
    let compound = try CRSIdentifier.identify(
      "PROJCS[\"CTM_12\",\(params),VERTCS[\"EGM96_Geoid\",VDATUM[\"EGM96_Geoid\"],PARAMETER[\"Vertical_Shift\",0.0],PARAMETER[\"Direction\",1.0],UNIT[\"Meter\",1.0]]"
    )
    #expect(compound.epsg == 9377)
    #expect(compound.hadVerticalPart)
  }

  @Test("data without a CRS: candidates from the coordinates")
  func candidates() {
    // Lon/lat in Colombia (the Ramsar wetlands' extent).
    #expect(
      CRSIdentifier.candidates(forExtent: Envelope(minX: -77.5, minY: -3.9, maxX: -67.5, maxY: 11.1)) == [
        4686, 4326,
      ])
    // CTM12 metres (La Palma).
    #expect(
      CRSIdentifier.candidates(
        forExtent: Envelope(minX: 4_843_772, minY: 2_143_021, maxX: 4_844_770, maxY: 2_144_006))
        == [9377])
    // Bogotá zone metres.
    #expect(
      CRSIdentifier.candidates(
        forExtent: Envelope(minX: 990_000, minY: 990_000, maxX: 1_010_000, maxY: 1_020_000)
      ).first
        == 3116)
    // Degrees outside Colombia (Cambridge, MA).
    #expect(
      CRSIdentifier.candidates(forExtent: Envelope(minX: -71.16, minY: 42.35, maxX: -71.06, maxY: 42.40)) == [
        4326
      ])
    #expect(CRSIdentifier.candidates(forExtent: Envelope(minX: 1e8, minY: 1e8, maxX: 2e8, maxY: 2e8)).isEmpty)
  }

  @Test("declared EPSG codes are taken as declared")
  func declared() throws {
    let crs = try CRSIdentifier.identify("EPSG:3116")
    #expect(crs.epsg == 3116)
    #expect(crs.method == .declared)
    #expect(try CRSIdentifier.identify("EPSG:4686").isGeographic)
  }

  @Test("an unreadable definition is an error, never SRID 0")
  func unknown() throws {
    #expect(throws: GeoError.self) { try CRSIdentifier.identify("PROJCS[\"broken\"") }
    // A valid but unknown projection identifies with no EPSG code.
    let custom = try CRSIdentifier.identify(
      "+proj=tmerc +lat_0=1 +lon_0=-71.123 +k=1 +x_0=123 +y_0=456 +ellps=GRS80 +units=m +no_defs")
    #expect(custom.epsg == nil || custom.confidence < 100)
  }

  @Test(
    "every .prj of the national reserves identifies as 9377, 4686 or 3116",
    .enabled(if: RealData.isAvailable, Comment(rawValue: RealData.missingReason)))
  func realReserves() throws {
    let root = RealData.path("col_otl_ambiental/rfpn_reservas")
    let files = try FileManager.default.subpathsOfDirectory(atPath: root).filter {
      $0.hasSuffix(".prj")
    }
    #expect(files.count == 57)
    var seen: [Int: Int] = [:]
    for file in files {
      let text = try String(contentsOfFile: root + "/" + file, encoding: .utf8)
      // The expected code follows from what the file declares, read by a person:
      // a bare GEOGCS MAGNA is 4686; "MAGNA_Colombia_Bogota" is the Bogotá zone 3116; every other
      // projected one here has the CTM12 parameters (origin 4°N 73°W, k 0.9992, FE 5e6, FN 2e6).
      let expected: Int
      if text.hasPrefix("GEOGCS") {
        expected = 4686
      } else if text.contains("MAGNA_Colombia_Bogota") {
        expected = 3116
      } else {
        #expect(text.contains("PARAMETER[\"Scale_Factor\",0.9992]"), "\(file)")
        expected = 9377
      }
      let crs = try CRSIdentifier.identify(text)
      #expect(crs.epsg == expected, "\(file): got \(String(describing: crs.epsg)) for \(crs.name)")
      #expect(crs.confidence == 100, "\(file)")
      if text.contains("VERTCS") { #expect(crs.hadVerticalPart, "\(file)") }
      seen[expected, default: 0] += 1
    }
    #expect(Set(seen.keys) == [9377, 4686, 3116])
  }

  @Test(
    "Web Mercator .prj files of the real sustracciones identify as 3857",
    .enabled(if: RealData.isAvailable, Comment(rawValue: RealData.missingReason)))
  func realWebMercator() throws {
    let prj = RealData.path(
      "col_otl_ambiental/rfpn_sustracciones/Sustracciones_de_Reservas_Forestales_Protectoras_Nacionales_Escala_1%3A100.000.prj"
    )
    let crs = try CRSIdentifier.identify(String(contentsOfFile: prj, encoding: .utf8))
    #expect(crs.epsg == 3857)
  }
}
