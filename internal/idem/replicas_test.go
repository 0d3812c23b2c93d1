package idem

import (
	"testing"
	"time"
)

// The bucket's replicas are 1 to 5, the bounds included.
func TestStoreConfigReplicasBounds(t *testing.T) {
	for replicas, ok := range map[int]bool{0: false, 1: true, 3: true, 5: true, 6: false, -1: false} {
		err := StoreConfig{Bucket: DefaultBucket, Replicas: replicas, Horizon: time.Hour}.Validate()
		if (err == nil) != ok {
			t.Errorf("Validate() with %d replicas = %v, want ok %v", replicas, err, ok)
		}
	}
}
