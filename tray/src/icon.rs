//! The icon, drawn here rather than taken from an icon theme (which may lack any fitting
//! name): a coloured disc per [`Health`], a hollow grey ring when the daemon is down.

use crate::view::Health;

/// Side of the square icon in pixels; hosts scale it to the panel.
pub const SIZE: usize = 32;

/// RGB of the disc.
fn colour(health: Health) -> [u8; 3] {
    match health {
        Health::Ready => [0x2e, 0xa0, 0x43],
        Health::Review => [0x2f, 0x6f, 0xd6],
        Health::Login => [0xe0, 0x8e, 0x0b],
        Health::Failing => [0xd1, 0x2f, 0x2f],
        Health::Down => [0x8a, 0x8a, 0x8a],
    }
}

/// The icon as StatusNotifierItem wants it: ARGB32, big-endian, row by row.
pub fn argb(health: Health) -> Vec<u8> {
    let [r, g, b] = colour(health);
    let centre = SIZE as f32 / 2.0;
    let outer = centre - 2.0;
    // Down is a ring: nothing answers, so nothing is filled in.
    let inner = if health == Health::Down {
        outer - 4.0
    } else {
        0.0
    };
    let mut data = Vec::with_capacity(SIZE * SIZE * 4);
    for y in 0..SIZE {
        for x in 0..SIZE {
            let dx = x as f32 + 0.5 - centre;
            let dy = y as f32 + 0.5 - centre;
            let distance = (dx * dx + dy * dy).sqrt();
            // Coverage of the pixel by the shape, a pixel's width of soft edge on each side.
            let coverage =
                (outer - distance + 0.5).clamp(0.0, 1.0) * (distance - inner + 0.5).clamp(0.0, 1.0);
            let alpha = (coverage * 255.0).round() as u8;
            data.extend_from_slice(&[alpha, r, g, b]);
        }
    }
    data
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alpha_at(data: &[u8], x: usize, y: usize) -> u8 {
        data[(y * SIZE + x) * 4]
    }

    #[test]
    fn a_live_daemon_is_a_filled_disc_and_a_dead_one_a_ring() {
        let ready = argb(Health::Ready);
        assert_eq!(ready.len(), SIZE * SIZE * 4);
        assert_eq!(alpha_at(&ready, SIZE / 2, SIZE / 2), 255);
        assert_eq!(alpha_at(&ready, 0, 0), 0);
        let down = argb(Health::Down);
        assert_eq!(alpha_at(&down, SIZE / 2, SIZE / 2), 0);
        assert_eq!(alpha_at(&down, SIZE / 2, 3), 255);
    }

    #[test]
    fn each_health_has_its_own_colour() {
        let all = [
            Health::Ready,
            Health::Review,
            Health::Login,
            Health::Failing,
            Health::Down,
        ];
        let colours: std::collections::BTreeSet<_> = all.iter().map(|h| colour(*h)).collect();
        assert_eq!(colours.len(), all.len());
    }
}
