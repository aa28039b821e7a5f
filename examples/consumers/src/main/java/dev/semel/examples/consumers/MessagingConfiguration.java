package dev.semel.examples.consumers;

import org.springframework.amqp.core.Queue;
import org.springframework.amqp.support.converter.JacksonJsonMessageConverter;
import org.springframework.amqp.support.converter.MessageConverter;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import tools.jackson.databind.json.JsonMapper;

/** The queue the RabbitMQ listener reads, and JSON messages. */
@Configuration(proxyBeanMethods = false)
class MessagingConfiguration {

    @Bean
    Queue paymentsQueue(@Value("${consumers.rabbit.queue:payments}") String name) {
        return new Queue(name);
    }

    @Bean
    MessageConverter jsonMessageConverter(JsonMapper json) {
        return new JacksonJsonMessageConverter(json);
    }
}
