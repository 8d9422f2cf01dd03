//! stdin and stdout on threads of their own. tokio's stdin reads on its blocking pool, and a
//! read there cannot be interrupted: a runtime shutting down would wait for the client's
//! next line. A plain thread is simply left behind when the process exits.

use std::io::{BufRead as _, BufReader, Read, Write};

use tokio::sync::{mpsc, oneshot};

/// Lines in flight between a thread and the bridge; the bound pushes back on a fast peer.
const QUEUE: usize = 64;

/// Reads newline-delimited messages from `input` until it ends: `None` from the receiver
/// means end of input.
pub fn spawn_reader<R>(input: R) -> std::io::Result<mpsc::Receiver<std::io::Result<Vec<u8>>>>
where
    R: Read + Send + 'static,
{
    let (lines, receiver) = mpsc::channel(QUEUE);
    std::thread::Builder::new()
        .name("mcpproxy-stdin".to_owned())
        .spawn(move || {
            let mut input = BufReader::new(input);
            loop {
                let mut line = Vec::new();
                let read = match input.read_until(b'\n', &mut line) {
                    Ok(0) => return,
                    Ok(_) => Ok(line),
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    Err(e) => Err(e),
                };
                let failed = read.is_err();
                if lines.blocking_send(read).is_err() || failed {
                    return;
                }
            }
        })?;
    Ok(receiver)
}

/// How writing ended: `Ok` once every sender is gone and everything was written.
pub type WriterEnd = oneshot::Receiver<std::io::Result<()>>;

/// Writes each message as one line to `output`, flushing whenever the queue runs dry.
pub fn spawn_writer<W>(output: W) -> std::io::Result<(mpsc::Sender<Vec<u8>>, WriterEnd)>
where
    W: Write + Send + 'static,
{
    let (sender, mut lines) = mpsc::channel::<Vec<u8>>(QUEUE);
    let (done, ended) = oneshot::channel();
    std::thread::Builder::new()
        .name("mcpproxy-stdout".to_owned())
        .spawn(move || {
            let mut output = std::io::BufWriter::new(output);
            let mut write = || -> std::io::Result<()> {
                while let Some(line) = lines.blocking_recv() {
                    output.write_all(&line)?;
                    output.write_all(b"\n")?;
                    if lines.is_empty() {
                        output.flush()?;
                    }
                }
                output.flush()
            };
            let _ = done.send(write());
        })?;
    Ok((sender, ended))
}
