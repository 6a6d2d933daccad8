import Foundation
import Hummingbird
import MultipartKit
import NIOCore

/// Streams an upload to a file: the raw body, or the `file` part of a `multipart/form-data`
/// body (parsed as it arrives by MultipartKit, never held whole in memory). Other form parts
/// are small text fields (parameters), kept in memory up to 64 KiB in all.
final class UploadReceiver {
  let limit: Int64
  private(set) var written: Int64 = 0
  private(set) var fields: [String: [String]] = [:]
  private(set) var filename: String?
  private var fieldBytes = 0

  init(limit: Int64) {
    self.limit = limit
  }

  /// The multipart boundary of a `Content-Type`, nil for any other body.
  static func boundary(_ contentType: String?) -> String? {
    guard let contentType, contentType.lowercased().hasPrefix("multipart/form-data") else { return nil }
    for parameter in contentType.split(separator: ";").dropFirst() {
      let pair = parameter.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
      if pair.count == 2, pair[0].lowercased() == "boundary" { return pair[1].trimmingCharacters(in: ["\""]) }
    }
    return nil
  }

  /// Writes the upload to `file`. Throws ``Problem/tooLarge(_:)`` past the limit.
  func receive(_ body: RequestBody, boundary: String?, to file: URL) async throws {
    _ = FileManager.default.createFile(atPath: file.path, contents: nil)
    let handle = try FileHandle(forWritingTo: file)
    defer { try? handle.close() }
    guard let boundary else {
      for try await buffer in body {
        try write(buffer.readableBytesView, to: handle)
      }
      return
    }
    let parser = MultipartParser(boundary: boundary)
    var headers: [String: String] = [:]
    var fieldValue: [UInt8] = []
    var failure: (any Error)?
    parser.onHeader = { name, value in headers[name.lowercased()] = value }
    parser.onBody = { [self] buffer in
      guard failure == nil else { return }
      let disposition = Self.disposition(headers["content-disposition"])
      if disposition.filename != nil || disposition.name == "file" {
        if filename == nil { filename = disposition.filename ?? "upload" }
        do { try write(buffer.readableBytesView, to: handle) } catch { failure = error }
      } else {
        fieldBytes += buffer.readableBytes
        if fieldBytes > 65_536 {
          failure = Problem.badRequest(
            es: "Los campos del formulario superan 64 KiB.", en: "The form fields exceed 64 KiB.")
        }
        fieldValue += buffer.readableBytesView
      }
    }
    parser.onPartComplete = { [self] in
      let disposition = Self.disposition(headers["content-disposition"])
      if disposition.filename == nil, disposition.name != "file", let name = disposition.name {
        fields[name, default: []].append(String(decoding: fieldValue, as: UTF8.self))
      }
      headers = [:]
      fieldValue = []
    }
    for try await buffer in body {
      do {
        try parser.execute(buffer)
      } catch {
        throw Problem.badRequest(
          es: "El cuerpo multipart/form-data está mal formado.",
          en: "The multipart/form-data body is malformed.")
      }
      if let failure { throw failure }
    }
  }

  private func write(_ bytes: ByteBufferView, to handle: FileHandle) throws {
    written += Int64(bytes.count)
    if written > limit { throw Problem.tooLarge(limit) }
    try handle.write(contentsOf: bytes)
  }

  /// `name` and `filename` of a `Content-Disposition: form-data` header.
  static func disposition(_ header: String?) -> (name: String?, filename: String?) {
    guard let header else { return (nil, nil) }
    var name: String?
    var filename: String?
    for parameter in header.split(separator: ";").dropFirst() {
      let pair = parameter.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
      guard pair.count == 2 else { continue }
      let value = pair[1].trimmingCharacters(in: ["\""])
      switch pair[0].lowercased() {
      case "name": name = value
      case "filename": filename = value
      default: break
      }
    }
    return (name, filename)
  }
}
