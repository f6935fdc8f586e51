/** The Firecracker driver (REST over the API socket, jailer, hybrid vsock): not built yet. */
package dev.arcbox.driver.firecracker;
