// swift-tools-version:6.1
import PackageDescription

let swiftSettings: [SwiftSetting] = [
  .swiftLanguageMode(.v6),
  .enableUpcomingFeature("ExistentialAny"),
  .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
  name: "nodo-at",
  platforms: [.macOS(.v15)],
  products: [
    .executable(name: "nodo-at", targets: ["nodo-at"])
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
    .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
    .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
    .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
    .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
    .package(url: "https://github.com/vapor/multipart-kit.git", from: "4.7.1"),
    .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
    .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1", traits: []),
    .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
    .package(url: "https://github.com/vapor/console-kit.git", from: "4.16.2"),
    .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
  ],
  targets: [
    // C libraries, from Debian's -dev packages.
    .systemLibrary(name: "CGEOS", pkgConfig: "geos", providers: [.apt(["libgeos-dev"])]),
    .systemLibrary(name: "CPROJ", pkgConfig: "proj", providers: [.apt(["libproj-dev"])]),
    .systemLibrary(name: "CGDAL", pkgConfig: "gdal", providers: [.apt(["libgdal-dev"])]),

    // The only module that touches C pointers.
    .target(
      name: "Geo",
      dependencies: ["CGEOS", "CPROJ", "CGDAL"],
      swiftSettings: swiftSettings
    ),
    // Pure, synchronous overlay over Geo values: faces, intersections, affectations.
    .target(
      name: "Overlay",
      dependencies: ["Geo"],
      swiftSettings: swiftSettings
    ),
    // Domain rules as data: art. 32 levels, determinant types, DIVIPOLA / NPN.
    .target(
      name: "Catalog",
      resources: [
        .copy("Resources/determinant-types.json"), .copy("Resources/determinant-types.schema.json"),
        .copy("Resources/compatibility.json"), .copy("Resources/compatibility.schema.json"),
      ],
      swiftSettings: swiftSettings
    ),
    // Every SQL statement, migrations, the embedded cluster.
    .target(
      name: "Store",
      dependencies: [
        "Geo",
        .product(name: "Crypto", package: "swift-crypto"),
        .product(name: "PostgresNIO", package: "postgres-nio"),
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "NIOPosix", package: "swift-nio"),
        .product(name: "Logging", package: "swift-log"),
      ],
      resources: [.copy("Migrations")],
      swiftSettings: swiftSettings
    ),
    // Loading files into versioned layers.
    .target(
      name: "Ingest",
      dependencies: [
        "Geo", "Overlay", "Store", "Catalog",
        .product(name: "Crypto", package: "swift-crypto"),
        .product(name: "PostgresNIO", package: "postgres-nio"),
        .product(name: "NIOPosix", package: "swift-nio"),
        .product(name: "Logging", package: "swift-log"),
      ],
      swiftSettings: swiftSettings
    ),
    // The synthetic municipality used by the demo, the tests and the benchmarks.
    .target(
      name: "Fixtures",
      dependencies: ["Geo", "Catalog"],
      swiftSettings: swiftSettings
    ),
    // The conflict engine: loads published layers, runs the overlay in parallel, applies
    // art. 32 and the compatibility matrix, persists the run.
    .target(
      name: "Analysis",
      dependencies: [
        "Overlay", "Geo", "Store", "Catalog",
        .product(name: "PostgresNIO", package: "postgres-nio"),
        .product(name: "NIOPosix", package: "swift-nio"),
        .product(name: "Logging", package: "swift-log"),
      ],
      swiftSettings: swiftSettings
    ),
    // HTTP.
    .target(
      name: "API",
      dependencies: [
        "Store", "Geo", "Catalog", "Ingest", "Analysis",
        .product(name: "PostgresNIO", package: "postgres-nio"),
        .product(name: "MultipartKit", package: "multipart-kit"),
        .product(name: "Hummingbird", package: "hummingbird"),
        .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        .product(name: "Logging", package: "swift-log"),
        .product(name: "Metrics", package: "swift-metrics"),
        .product(name: "Prometheus", package: "swift-prometheus"),
      ],
      swiftSettings: swiftSettings
    ),
    .executableTarget(
      name: "nodo-at",
      dependencies: [
        "API", "Store", "Geo", "Catalog", "Ingest", "Fixtures", "Analysis", "Overlay",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "NIOPosix", package: "swift-nio"),
        .product(name: "ConsoleKitTerminal", package: "console-kit"),
        .product(name: "Metrics", package: "swift-metrics"),
        .product(name: "Prometheus", package: "swift-prometheus"),
        .product(name: "Hummingbird", package: "hummingbird"),
        .product(name: "PostgresNIO", package: "postgres-nio"),
        .product(name: "Logging", package: "swift-log"),
      ],
      swiftSettings: swiftSettings
    ),

    // Helpers shared by the test targets: the test database, the real-data folder.
    .target(
      name: "NodoTestSupport",
      dependencies: [
        "Store",
        .product(name: "PostgresNIO", package: "postgres-nio"),
        .product(name: "Logging", package: "swift-log"),
      ],
      swiftSettings: swiftSettings
    ),

    .testTarget(
      name: "GeoTests", dependencies: ["Geo", "Fixtures", "NodoTestSupport"], swiftSettings: swiftSettings),
    .testTarget(name: "CatalogTests", dependencies: ["Catalog"], swiftSettings: swiftSettings),
    .testTarget(
      name: "OverlayTests", dependencies: ["Overlay", "Geo", "Fixtures"], swiftSettings: swiftSettings),
    .testTarget(
      name: "AnalysisTests",
      dependencies: [
        "Analysis", "Overlay", "Ingest", "Store", "Catalog", "Geo", "Fixtures", "NodoTestSupport",
        .product(name: "PostgresNIO", package: "postgres-nio"),
      ],
      swiftSettings: swiftSettings
    ),
    .testTarget(
      name: "FixturesTests",
      dependencies: [
        "Fixtures", "Ingest", "Store", "Catalog", "Geo", "NodoTestSupport",
        .product(name: "PostgresNIO", package: "postgres-nio"),
      ],
      swiftSettings: swiftSettings
    ),
    .testTarget(
      name: "IngestTests",
      dependencies: [
        "Ingest", "Store", "Catalog", "Geo", "Fixtures", "NodoTestSupport",
        .product(name: "PostgresNIO", package: "postgres-nio"),
      ],
      swiftSettings: swiftSettings
    ),
    .testTarget(
      name: "StoreTests",
      dependencies: [
        "Store", "NodoTestSupport",
        .product(name: "PostgresNIO", package: "postgres-nio"),
      ],
      swiftSettings: swiftSettings
    ),
    .testTarget(
      name: "APITests",
      dependencies: [
        "API", "Store", "Ingest", "Catalog", "Analysis", "Fixtures", "NodoTestSupport",
        .product(name: "HummingbirdTesting", package: "hummingbird"),
        .product(name: "PostgresNIO", package: "postgres-nio"),
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "NIOPosix", package: "swift-nio"),
        .product(name: "Metrics", package: "swift-metrics"),
        .product(name: "Prometheus", package: "swift-prometheus"),
      ],
      swiftSettings: swiftSettings
    ),
  ]
)
