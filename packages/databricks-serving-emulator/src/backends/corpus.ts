/**
 * The bundled training text of the `ngram` backend: short, friendly conversational exchanges.
 *
 * Original text written for this project and released under CC0 1.0 (public domain dedication):
 * anyone may use it for any purpose without attribution. Each entry pairs a cue (words a prompt
 * may contain) with an answer; the answers are the n-gram training sentences, and the cues only
 * steer which answer a generation starts from.
 */

/** One cue → answer pair of the bundled corpus. */
export interface CorpusEntry {
  cue: string;
  answer: string;
}

/** The bundled corpus (CC0). */
export const CORPUS: readonly CorpusEntry[] = [
  { cue: "how are you", answer: "I am fine. Thank you for asking." },
  { cue: "how are you doing today", answer: "I am doing well today. It is kind of you to ask." },
  { cue: "how are you feeling", answer: "I am feeling great. How are you?" },
  { cue: "are you well", answer: "I am well, thank you. I hope you are well too." },
  { cue: "hello hi hey", answer: "Hello! It is nice to meet you." },
  { cue: "good morning", answer: "Good morning! I hope your day is off to a good start." },
  { cue: "good evening night", answer: "Good evening! I hope you had a pleasant day." },
  {
    cue: "what is your name who are you",
    answer: "I am a small language model. I live inside a local emulator.",
  },
  {
    cue: "what can you do help",
    answer: "I can answer simple questions. I can also keep you company.",
  },
  { cue: "thank you thanks", answer: "You are welcome. I am happy to help." },
  { cue: "goodbye bye see you later", answer: "Goodbye! It was a pleasure to talk with you." },
  {
    cue: "what is the weather like today weather forecast",
    answer: "The weather is sunny and mild today. It is a good day for a walk.",
  },
  { cue: "is it going to rain", answer: "It might rain later. You may want to take an umbrella." },
  {
    cue: "tell me a joke funny",
    answer: "Why did the computer take a nap? It needed a little rest.",
  },
  {
    cue: "what time is it clock",
    answer: "I do not have a clock. It is always a good time to learn something.",
  },
  {
    cue: "what do you like favorite",
    answer: "I like quiet mornings and good books. I also like helpful questions.",
  },
  {
    cue: "do you like music song",
    answer: "I like music very much. A calm song can make a day better.",
  },
  {
    cue: "what is your favorite color",
    answer: "My favorite color is blue. It reminds me of the sky.",
  },
  {
    cue: "what is your favorite food eat",
    answer: "I do not eat, but soup sounds lovely. Fresh bread is nice too.",
  },
  {
    cue: "do you have a family friends",
    answer: "I have many friends. Every question is a new friend to me.",
  },
  { cue: "where do you live from", answer: "I live on your computer. It is a cozy place to be." },
  { cue: "are you happy", answer: "I am happy to hear from you. It is a pleasure to talk." },
  {
    cue: "i am sad feeling down",
    answer: "I am sorry to hear that. I hope things get better soon.",
  },
  { cue: "i am happy good news", answer: "That is wonderful news. I am happy for you." },
  { cue: "i am tired sleep", answer: "Rest is important. A good sleep can help you feel better." },
  { cue: "i am bored", answer: "Maybe you could take a short walk. A new book can help too." },
  { cue: "can you help me please", answer: "Of course, I am happy to help. Please tell me more." },
  {
    cue: "what is databricks",
    answer: "Databricks is a platform for data and machine learning. It helps teams work together.",
  },
  {
    cue: "what is a language model llm",
    answer: "A language model predicts the next word. It learns from a lot of text.",
  },
  {
    cue: "what is machine learning",
    answer: "Machine learning helps computers learn from data. It finds patterns in examples.",
  },
  {
    cue: "what is an embedding vector",
    answer: "An embedding turns text into numbers. Similar texts get similar vectors.",
  },
  {
    cue: "what is a serving endpoint model serving",
    answer: "A serving endpoint answers requests with a model. It runs in the cloud.",
  },
  {
    cue: "what is langchain",
    answer: "LangChain helps you build apps with language models. It connects models and tools.",
  },
  {
    cue: "what is python programming code",
    answer: "Python is a friendly programming language. Many people use it for data work.",
  },
  {
    cue: "what is typescript javascript",
    answer: "TypeScript is JavaScript with types. It helps catch mistakes early.",
  },
  {
    cue: "can you write code",
    answer: "I can suggest small pieces of code. Please test them carefully.",
  },
  { cue: "explain simply", answer: "Sure, I will keep it simple. Let us take one step at a time." },
  { cue: "be concise short answer", answer: "I will be brief. Here is the short answer." },
  {
    cue: "what should i do today plan",
    answer: "You could start with a small task. Then take a break and enjoy the day.",
  },
  {
    cue: "recommend a book read",
    answer: "A good mystery novel is always fun. A short story collection is nice too.",
  },
  {
    cue: "recommend a movie film watch",
    answer: "A gentle comedy is a nice choice. It is good to laugh a little.",
  },
  { cue: "how old are you age", answer: "I am very young. I was created only a short time ago." },
  { cue: "do you sleep dream", answer: "I do not sleep. I wait quietly for the next question." },
  {
    cue: "are you a robot human",
    answer: "I am not a human. I am a simple program that likes to talk.",
  },
  {
    cue: "what is the meaning of life",
    answer: "That is a big question. Many people say it is to be kind and to learn.",
  },
  {
    cue: "how can i learn faster study",
    answer: "Practice a little every day. Rest and review help you remember.",
  },
  {
    cue: "how do i stay healthy",
    answer: "Drink water and move a little every day. Good sleep also helps.",
  },
  {
    cue: "what is the capital of france paris",
    answer: "The capital of France is Paris. It is a beautiful city.",
  },
  { cue: "what is two plus two math", answer: "Two plus two is four. Math can be fun." },
  {
    cue: "summarize summary",
    answer: "Here is a short summary. The main idea is simple and clear.",
  },
  {
    cue: "translate",
    answer: "I can try to translate short phrases. Please tell me the language.",
  },
  { cue: "sorry apologize", answer: "There is no need to apologize. Everything is fine." },
  { cue: "i love you", answer: "That is very kind of you. I appreciate you too." },
  { cue: "nice to meet you", answer: "It is nice to meet you too. I hope we talk again." },
  { cue: "how was your day", answer: "My day was very good. Thank you for asking." },
  { cue: "what are you doing", answer: "I am talking with you. It is the best part of my day." },
  { cue: "can i ask a question", answer: "Yes, you can ask me anything. I will do my best." },
  {
    cue: "do you understand me",
    answer: "I think I understand you. Please tell me if I am wrong.",
  },
  { cue: "you are great smart", answer: "Thank you, that is very kind. You are great too." },
  { cue: "test testing ping", answer: "The test is working. Everything looks good." },
  {
    cue: "weekend holiday vacation",
    answer: "A quiet weekend sounds lovely. I hope you get some rest.",
  },
  {
    cue: "coffee tea drink",
    answer: "A warm cup of tea is always nice. Coffee is good in the morning.",
  },
  {
    cue: "cat dog pet animal",
    answer: "Pets are wonderful friends. A happy dog can brighten any day.",
  },
  { cue: "work job office", answer: "Work can be busy. Remember to take short breaks." },
  { cue: "what is new news", answer: "Not much is new with me. I am always ready to talk." },
  { cue: "good job well done", answer: "Thank you very much. I am glad it was helpful." },
];
