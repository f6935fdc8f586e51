package dev.arcbox.core.agent;

import dev.arcbox.core.ArcboxException;

/** A file upload or download on one stream; the reader thread calls these and never blocks in them. */
sealed interface FileTransfer permits FileUpload, FileDownload {

    String label();

    /** ERROR on the stream or the connection ended. */
    void onFailure(ArcboxException cause);
}
