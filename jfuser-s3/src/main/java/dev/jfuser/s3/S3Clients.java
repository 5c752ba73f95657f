package dev.jfuser.s3;

import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProviderChain;
import software.amazon.awssdk.auth.credentials.EnvironmentVariableCredentialsProvider;
import software.amazon.awssdk.auth.credentials.ProfileCredentialsProvider;
import software.amazon.awssdk.auth.credentials.SystemPropertyCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.retry.RetryMode;
import software.amazon.awssdk.http.crt.AwsCrtAsyncHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.retries.api.RetryStrategy;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.S3AsyncClientBuilder;

/** Builds the S3 client an {@link S3Fs} uses: the SDK's async client over the AWS CRT HTTP client. */
public final class S3Clients {
    private S3Clients() {
    }

    /**
     * Credentials from the environment ({@code AWS_ACCESS_KEY_ID}, {@code AWS_SECRET_ACCESS_KEY},
     * {@code AWS_SESSION_TOKEN}), Java system properties ({@code aws.accessKeyId}, …) and the profile files
     * ({@code ~/.aws/credentials}, {@code ~/.aws/config}, {@code AWS_PROFILE}), in that order. Unlike the SDK's
     * default chain it never asks an instance metadata service, so a machine outside a cloud sends nothing to a
     * link-local address and a missing key is an error at once rather than after a metadata timeout.
     *
     * @return the credential chain the command line uses
     */
    public static AwsCredentialsProvider standardCredentials() {
        return AwsCredentialsProviderChain.builder()
                .credentialsProviders(EnvironmentVariableCredentialsProvider.create(),
                        SystemPropertyCredentialsProvider.create(), ProfileCredentialsProvider.create())
                .reuseLastProviderEnabled(true)
                .build();
    }

    /**
     * An async S3 client for {@code options}: its endpoint (path-style) and region, {@code credentials}, the
     * connect timeout, a per-call timeout covering all attempts, the SDK's standard retry strategy (exponential
     * backoff with jitter on 5xx, throttling and connection errors) limited to {@link S3FsOptions#maxAttempts()}.
     * Checksums are computed only where S3 requires them, which every S3-compatible server accepts.
     *
     * @param options what to connect to and the timeouts
     * @param credentials where the keys come from ({@link #standardCredentials()} for the usual chain)
     * @return the client; closing it is the caller's business ({@link S3Fs#create} hands it to the filesystem)
     */
    public static S3AsyncClient create(S3FsOptions options, AwsCredentialsProvider credentials) {
        RetryStrategy retries = software.amazon.awssdk.awscore.retry.AwsRetryStrategy.forRetryMode(RetryMode.STANDARD)
                .toBuilder().maxAttempts(options.maxAttempts()).build();
        S3AsyncClientBuilder b = S3AsyncClient.builder()
                .region(Region.of(options.region()))
                .credentialsProvider(credentials)
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
                .httpClientBuilder(AwsCrtAsyncHttpClient.builder()
                        .connectionTimeout(options.connectTimeout())
                        .maxConcurrency(64))
                .overrideConfiguration(c -> c.apiCallTimeout(options.requestTimeout()).retryStrategy(retries));
        options.endpoint().ifPresent(e -> b.endpointOverride(e).forcePathStyle(true));
        return b.build();
    }
}
