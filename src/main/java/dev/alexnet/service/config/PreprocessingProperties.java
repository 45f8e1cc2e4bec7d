package dev.alexnet.service.config;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Image preprocessing.
 *
 * @param mode                 {@code center-crop} (resize to 256x256, crop the central 227x227) or {@code resize} (to 227x227)
 * @param maxConcurrentDecodes full-size decodes at once; bounds the heap that large uploads can take
 * @param jpegDecode           {@code scaled}: JPEGs decoded at 1/2, 1/4 or 1/8 in the DCT domain when both
 *                             sides stay at least the resize target (as Pillow's draft()); {@code full}:
 *                             every JPEG decoded at full size, exact and slower
 */
@ConfigurationProperties("alexnet.preprocessing")
public record PreprocessingProperties(@DefaultValue("center-crop") String mode, @DefaultValue("4") int maxConcurrentDecodes,
                                      @DefaultValue("scaled") String jpegDecode) {

    /** Whether {@link #jpegDecode()} allows DCT-domain downscaling; refuses anything but scaled and full. */
    public boolean scaledJpeg() {
        return switch (jpegDecode.trim().toLowerCase(java.util.Locale.ROOT)) {
            case "scaled" -> true;
            case "full" -> false;
            default -> throw new IllegalArgumentException(
                    "alexnet.preprocessing.jpeg-decode is '" + jpegDecode + "': use scaled or full");
        };
    }
}
