// Package archive owns the raw archive: the stream RAW, where every
// delivery that passed authentication and the limits is kept as it was
// received (body byte for byte, its headers minus credentials), before its
// events are stored, so that `bridge remap` can run the current mappings
// over it again.
//
// It holds the stream's configuration (StreamConfig), the record and its
// encoding (Record, Encode, Decode), the asynchronous Writer every door
// hands its deliveries to (never blocking a delivery, counting what it
// could not keep), and the Reader that walks a provider's records. It does
// not map anything: remapping lives in archive/remap.
package archive
